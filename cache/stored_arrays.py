"""What each experiment stores: the arrays of its trajectory.npz, by name, with what each holds.

The recorder (sampling/recorders/) checks that it wrote exactly these; the scenes read them by
these names, and their tests check that every array a scene reads is here. Images are stored for
display, uint8 (..., H, W, C); numbers as computed. S is a run's number of steps, T the schedule's.
A variant (the sampler of a reverse recording, the dimension of a toy mixture) adds its own arrays.
"""
from __future__ import annotations

STEP_COEFFICIENTS = {  # every sampler's step (sampling/samplers.py Step), per step (S,)
    "alpha_bar_t": "alpha_bar_t",
    "alpha_bar_prev": "alpha_bar_{t_prev}; the final alpha_bar on the last step",
    "sigma_t": "the standard deviation of the noise the step adds (0 where it adds none)",
}

STORED_ARRAYS: dict[str, dict[str, str]] = {
    "forward": {
        "x0": "image: the clean image x_0",
        "eps": "image: the noise eps",
        "x0_float": "(C, H, W) float32: x_0, unrounded, so that x_t can be formed exactly at every t",
        "eps_float": "(C, H, W) float32: eps, unclipped",
        "x_t": "images (len(t),): x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps at each t, Ho et al. eq. (4)",
        "chain": "images (len(t),): the chain q(x_t | x_{t-1}), one training step at a time, at each t",
        "t": "the timesteps shown: the DDPM schedule's at `steps` steps, and T-1",
        "alpha_bar": "(T,) float32: alpha_bar of every training step",
        "betas": "(T,) beta of every training step",
        "sqrt_alpha_bar": "sqrt(alpha_bar_t) at each t",
        "sqrt_one_minus_alpha_bar": "sqrt(1 - alpha_bar_t) at each t",
        "closed_form_noise_std": "the spread of x_t - sqrt(alpha_bar_t) x_0 at each t",
        "chain_noise_std": "the spread of chain - sqrt(alpha_bar_t) x_0 at each t",
    },
    "reverse": {
        "x": "images (S+1,): x_T, then the state after each step",
        "eps_hat": "images (S,): the model's predicted noise at each step",
        "x0_hat": "images (S,): the predicted x_0 at each step, clipped where the scheduler clips",
        "z": "images (S,): the fresh noise each step added (zeros where none)",
        "t": "(S,) each step's t",
        "t_prev": "(S,) each step's t_prev; negative on the last step",
        "x_final": "(C, H, W) float32: x_0, unrounded",
        "clipped": "(S,) the share of x0_hat's values the clipping changed",
        **STEP_COEFFICIENTS,
    },
    "forward_backward": {
        "x0": "image: x_0",
        "noised": "image: x_0 noised to forward_t",
        "reconstruction": "image: the noised image denoised by DDIM",
        "single_steps": "images (S+2,): x_0, the noised image, then the state after each denoising step",
        "grid": "images (rows, S+2): the grid rows kept for the scene, as single_steps, each from its own level",
        "t": "(S,) the DDIM timesteps",
        "forward_t": "the timestep x_0 is noised to",
        "row_t": "(S,) each grid row's starting timestep (row r: timesteps[S-1-r])",
        "row_steps": "(S,) each grid row's number of denoising steps",
        "grid_rows": "(rows,) which rows `grid` keeps",
        "column_distance": "(S, S+2) each grid cell's L2 distance to x_0",
        "final_distance": "(S,) each row's result's L2 distance to x_0",
        "distance": "the reconstruction's L2 distance to x_0",
        "difference": "(H, W) mean over channels of |reconstruction - x_0|",
        "x0_float": "(C, H, W) float32: x_0, unrounded",
        "reconstruction_float": "(C, H, W) float32: the reconstruction, unrounded",
    },
    "similar_noise": {
        "x": "images (S+1, 2): both DDIM runs, from their starting noises",
        "x0_hat": "images (S, 2): both runs' predicted x_0",
        "t": "(S,) the DDIM timesteps",
        "noise_distance": "L2 distance of the two starting noises",
        "noise_heatmap": "(H, W) mean over channels of |noise_a - noise_b|",
        "x_distance": "(S+1,) L2 distance of the two runs' states",
        "x0_hat_distance": "(S,) L2 distance of the two runs' x0_hat",
        "x_heatmap": "(S+1, H, W) float16: mean over channels of |x_a - x_b|",
        "x0_hat_heatmap": "(S, H, W) float16: mean over channels of |x0_hat_a - x0_hat_b|",
        "output_distance": "L2 distance of the two outputs",
        "final_float": "(2, C, H, W) float32: both outputs, unrounded",
        "patch": "(3,) patch_x, patch_y, patch_size of the redrawn square",
    },
    "noise_sweep": {
        "base": "image: the output from the unperturbed noise",
        "outputs": "images: the outputs, one per patch size, then one per scaling",
        "patch_sizes": "the sides of the centred patches redrawn",
        "scalings": "the s of the global mixes sqrt(1 - s^2) n + s n'",
        "patch_noise_distance": "per patch size: L2 distance of the noises",
        "patch_output_distance": "per patch size: L2 distance of the outputs",
        "global_noise_distance": "per scaling: L2 distance of the noises",
        "global_output_distance": "per scaling: L2 distance of the outputs",
    },
    "ddim_steps": {
        "frames": "images (runs, frames): each run's state at evenly spaced normalised times",
        "frame_steps": "(runs, frames) how many steps each run had taken at each frame",
        "finals": "images (runs,): each run's output",
        "step_counts": "(runs,) each run's steps: the DDIM counts, then DDPM's",
        "is_ddpm": "(runs,) 1 for the DDPM run",
        "distance_to_reference": "(runs,) L2 distance of each output to the DDIM run with the most steps",
        "finals_float": "(runs, C, H, W) float32: the outputs, unrounded",
    },
    "toy": {
        "x0": "(N, D) the data points x_0",
        "component": "(N,) the mixture component each point was drawn from",
        "forward_t": "(F,) the timesteps of the forward states kept",
        "forward": "(F, N, D) the chain q(x_t | x_{t-1}) of every point at forward_t",
        "forward_paths": "(T, paths, D) the first points' chains, every training step",
        "alpha_bar": "(T,) alpha_bar of every training step",
        "grid": "(G, D) the points where eps_hat is evaluated",
        "eps_hat_field": "(F, G, D) eps_hat(grid, t) at forward_t",
        **{f"{s}_{name}": f"{s.upper()}: {meaning}" for s in ("ddpm", "ddim") for name, meaning in {
            "t": "(S+1,) the timestep of each state, -1 for the clean end",
            "paths": "(S+1, paths, D) the first points' states",
            "frames": "(frames, N, D) every point's state at evenly spaced normalised times",
            "frame_t": "(frames,) the timestep of each frame",
            "final": "(N, D) the samples",
            "stray": "the share of samples further than stray_sd sd from every component",
        }.items()},
        "ddim_fine_stray": "the share of strays of DDIM with as many steps as DDPM",
        "stray_sd": "how many sd from every component makes a sample a stray",
    },
    "memorisation": {
        **{f"{m}_{name}": f"{who}: {meaning}" for m, who in (("unet", "the UNet"), ("exact", "the exact denoiser"))
           for name, meaning in {
               "x": "images (S+1, samples): the DDIM states from the shared noises",
               "x0_hat": "images (S, samples): the predicted x_0",
               "nearest": "images (samples,): each output's nearest training image",
               "nearest_index": "(samples,) the index of that training image",
               "nearest_distance": "(samples,) the L2 distance to it",
               "final_float": "(samples, C, H, W) float32: the outputs, unrounded",
           }.items()},
        "training_count": "how many training images",
        "t": "(S,) the DDIM timesteps",
        "unet_exact_distance": "(samples,) L2 distance of the UNet's output to the exact denoiser's",
    },
    "schedules": {  # R: the spec's schedules, in its order; C: its DDIM step counts
        "alpha_bar": "(R, T) alpha_bar of every training step, under each schedule (scheduler.alphas_cumprod)",
        "log_snr": "(R, T) log SNR_t = log(alpha_bar_t / (1 - alpha_bar_t))",
        "snr_window": "(2,) the SNR window [low, high] whose steps are counted",
        "steps_in_window": "(R,) how many of the T training steps have SNR in the window, per schedule",
        "x0": "image: x_0, one of the embedded model's training images",
        "eps": "image: the noise eps, the same under every schedule",
        "image_t": "(F,) the t of the image sweep",
        "x_t": "images (R, F): sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps under each schedule at image_t",
        "step_counts": "(C,) DDIM's step counts",
        "ddim_t": "(R, C) the first (noisiest) timestep of each DDIM run",
        "x_T": "(N, 2) the noise every DDIM run starts from",
        "ddim_final": "(R, C, N, 2) DDIM's samples of the 2D mixture, every run from the same x_T",
        "ddim_stray": "(R, C) the share of samples further than stray_sd sd from every component",
        "stray_sd": "how many sd from every component makes a sample a stray",
    },
    "guidance": {  # W: the spec's guidance scales
        "weights": "(W,) the guidance scales w",
        "class_components": "(K,) 1 for the mixture's components of the class c sampled",
        "grid": "(G, 2) the points where the fields are evaluated",
        "field_t": "the t of the fields",
        "eps_uncond_field": "(G, 2) eps_u(grid, t): the unconditional exact denoiser's eps_hat",
        "eps_cond_field": "(G, 2) eps_c(grid, t): the exact denoiser of p(x | c)",
        "eps_guided_field": "(W, G, 2) eps_u + w (eps_c - eps_u) for each w",
        "frame_t": "(frames,) the timestep of each frame, -1 for the clean end",
        "frames": "(W, frames, N, 2) each w's DDIM states at evenly spaced normalised times, from the same x_T",
        "final": "(W, N, 2) each w's samples",
        "reference": "(N, 2) samples drawn from p(x | c) itself",
        "spread": "(W,) each w's samples' RMS distance to their mean",
        "true_spread": "the RMS distance of p(x | c) to its mean, from the mixture's parameters",
        "on_class": "(W,) the share of samples within stray_sd sd of one of the class's components",
        "coverage": "(W,) the share of the class's components with a sample within stray_sd sd of them",
        "reference_coverage": "the same coverage for the reference samples",
        "stray_sd": "how many sd from a component is on it",
    },
    "flow": {  # R: the spec's step counts; F: frames of each run, evenly spaced in its own time
        "step_counts": "(R,) the numbers of Euler and of DDIM steps, as many denoiser evaluations",
        "x_T": "(N, 2) the noises every run starts from (eps, at s = 1 and at t = T - 1)",
        "euler_frames": "(R, F, N, 2) Euler on dx/ds = v(x, s), from s = 1 to 0, its states at normalised times",
        "euler_frame_s": "(R, F) the s of each Euler frame",
        "euler_paths": "(R, F, P, 2) the first points' states at the same frames",
        "euler_final": "(R, N, 2) Euler's samples",
        "ddim_frames": "(R, F, N, 2) DDIM (eta = 0) on the model's schedule, x_t at normalised times",
        "ddim_frame_t": "(R, F) the t of each DDIM frame, -1 for the clean end",
        "ddim_paths": "(R, F, P, 2) the first points' x_t at the same frames",
        "ddim_final": "(R, N, 2) DDIM's samples",
        "euler_straightness": "(R,) mean over points of path length / distance between its ends, every step",
        "ddim_straightness": "(R,) the same for DDIM's x_t",
        "ddim_flow_straightness": "(R,) the same for DDIM's states in the flow's coordinates, "
                                  "x_t / (sqrt(alpha_bar_t) + sqrt(1 - alpha_bar_t))",
        "euler_stray": "(R,) the share of Euler's samples further than stray_sd sd from every component",
        "ddim_stray": "(R,) the same for DDIM",
        "stray_sd": "how many sd from every component makes a sample a stray",
    },
}

VARIANTS: dict[str, dict[str, dict[str, str]]] = {  # experiment -> variant -> the arrays it adds
    "reverse": {
        "ddpm": {  # Ho et al. (2020) eq. (11), through the posterior mean of eq. (7)
            "inv_sqrt_alpha_t": "(S,) 1 / sqrt(alpha_t), alpha_t = alpha_bar_t / alpha_bar_prev",
            "beta_t_over_sqrt_one_minus_alpha_bar_t": "(S,) beta_t / sqrt(1 - alpha_bar_t)",
            "mu_tilde_x0_coef": "(S,) the posterior mean's coefficient of x0_hat, eq. (7)",
            "mu_tilde_xt_coef": "(S,) the posterior mean's coefficient of x_t, eq. (7)",
        },
        "ddim": {  # Song et al. (2021) eq. (12)
            "sqrt_alpha_bar_prev": "(S,) sqrt(alpha_bar_prev), the coefficient of x0_hat",
            "direction_coef": "(S,) sqrt(1 - alpha_bar_prev - sigma_t^2), the coefficient of eps_hat",
        },
    },
    "toy": {
        "1d": {
            "data_density": "(G,) q(x_0) on the grid",
            "density": "(F, G) q(x_t) on the grid at forward_t",
        },
        "2d": {},
    },
}


def stored_arrays(experiment: str, variant: str | None = None) -> dict[str, str]:
    """name -> meaning of the arrays one recording of `experiment` stores. `variant`: "ddpm" or "ddim"
    for reverse, "1d" or "2d" for toy (the mixture's dimension), None for the others."""
    return STORED_ARRAYS[experiment] | VARIANTS.get(experiment, {None: {}})[variant]


def every_stored_array(experiment: str) -> set[str]:
    """The names any recording of `experiment` may store, whatever its variant."""
    return set(STORED_ARRAYS[experiment]).union(*VARIANTS.get(experiment, {None: {}}).values())
