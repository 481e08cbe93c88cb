"""The prose that reads a trajectory, without rendering: the scenes' narration functions on small hand-made
trajectories (plain dicts of arrays), their text against values worked out here."""
from __future__ import annotations

import re

import numpy as np

from scenes.kit.equations import DDIM, DDPM
from scenes.kit.narration import in_words, listed


def test_in_words_and_listed():
    assert [in_words(n) for n in (0, 3, 12, 13, 104)] == ["zero", "three", "twelve", "13", "104"]
    assert listed([]) == "" and listed(["a"]) == "a" and listed(["a", "b"]) == "a and b"
    assert listed([1, 2, 3]) == "1, 2 and 3"


def reverse_run():
    """Three DDIM steps, t = 900 -> 600 -> 300 -> clean."""
    return {"t": np.array([900, 600, 300]), "t_prev": np.array([600, 300, -1]),
            "sqrt_alpha_bar_prev": np.array([0.25, 0.5, 1.0]), "direction_coef": np.array([0.96825, 0.866025, 0.0]),
            "clipped": np.array([0.25, 0.004, 0.0])}


def test_reverse_step_notes_read_the_steps_timesteps_and_coefficients():
    from scenes.reverse import step_notes
    tr = reverse_run()
    assert step_notes(tr, DDIM.numbers, 0) == ("Step 1 of 3, t = 900 -> 600: sqrt(alpha_bar_(t-1)) = 0.2500, "
                                               "sqrt(1 - alpha_bar_(t-1)) = 0.9683.")
    # the last step goes to the clean image
    assert step_notes(tr, DDIM.numbers, 2) == ("Step 3 of 3, t = 300 -> clean: sqrt(alpha_bar_(t-1)) = 1.0000, "
                                               "sqrt(1 - alpha_bar_(t-1)) = 0.0000.")


def test_reverse_shown_at_adds_the_clipped_share_only_where_the_scheduler_clips():
    from scenes.reverse import shown_at
    tr = reverse_run()
    plain = shown_at(tr, "DDIM", DDIM.numbers, None, 1)
    assert plain == ("The header reads DDIM step 2 / 3, t = 600 to 300; under the equation: sqrt(alpha_bar_(t-1)) = "
                     "0.5000, sqrt(1 - alpha_bar_(t-1)) = 0.8660.")
    # a share of 1 % or more in whole percent, less than that to a tenth
    assert shown_at(tr, "DDIM", DDIM.numbers, 1.0, 0).endswith(
        " A footnote: the step uses x0_hat clipped to [-1, 1]; values clipped: 25 %.")
    assert shown_at(tr, "DDIM", DDIM.numbers, 0.5, 1) == plain + (
        " A footnote: the step uses x0_hat clipped to [-0.5, 0.5]; values clipped: 0.4 %.")


def test_reverse_glance_and_title_read_the_runs_timesteps():
    from scenes.reverse import glance_ts, title_notes
    tr = {"t": np.arange(990, -1, -10)}  # 100 steps
    # five evenly spaced states of 100 steps: 0, 25, 50, 75 (and the result)
    assert glance_ts(tr) == "990, 740, 490, 240"
    notes, then = title_notes(tr, "DDPM")
    assert notes.startswith("DDPM: from pure noise to an image in 100 steps, t = 990 down to 0;")
    assert then == "100 steps, from t = 990 down to 0."


def forward_run():
    T = 10
    alpha_bar = np.linspace(0.99, 0.01, T)
    t = np.arange(T)
    return {"t": t, "alpha_bar": alpha_bar, "sqrt_alpha_bar": np.sqrt(alpha_bar),
            "sqrt_one_minus_alpha_bar": np.sqrt(1 - alpha_bar),
            "chain_noise_std": np.full(T, 0.7071), "closed_form_noise_std": np.full(T, 0.7072)}


def test_forward_slides_read_the_coefficients_where_the_sweep_stops():
    from scenes.forward import chain_slide, equation_slide, sweep_slide
    tr = forward_run()
    notes, description = equation_slide(tr)
    assert "At t = 0: sqrt(alpha_bar_t) = 0.9950, sqrt(1 - alpha_bar_t) = 0.1000." in notes
    assert "over t from 0 to 10: sqrt(alpha_bar_t) falls from 0.99 to 0.10, sqrt(1 - alpha_bar_t) rises from " \
           "0.10 to 0.99;" in description
    a, b = np.sqrt(tr["alpha_bar"][4]), np.sqrt(1 - tr["alpha_bar"][4])
    notes, description = sweep_slide(tr, 2, 4, "signal and noise in equal parts")
    assert notes == f"t = 4: sqrt(alpha_bar_t) = {a:.4f}, sqrt(1 - alpha_bar_t) = {b:.4f}: signal and noise in " \
                    "equal parts."
    assert description.startswith(f"t runs from 2 to 4: x_t grows noisier, its coefficients become {a:.4f} for x_0")
    notes, description = chain_slide(tr, 8)
    assert "Taking the 8 single steps" in notes and "0.707 against 0.707" in notes
    # the chain's images: five evenly spaced steps from x_0 to x_8
    assert "a row of images, x_0, x_2, x_4, x_6, x_8, joined by arrows" in description


def test_similar_noise_slides_read_the_distances():
    from scenes.similar_noise import noises_slide, outputs_slide, runs_slide, series_slide
    tr = {"t": np.arange(4), "x_distance": np.array([10.0, 8.0, 6.0, 5.0, 4.126]),
          "x0_hat_distance": np.array([1.0, 3.5, 2.0, 1.5]), "noise_distance": 12.345, "output_distance": 3.2}
    notes, description = noises_slide(tr, "How b is made.", outlined=True)
    assert notes == "How b is made. Distance between the starting noises: 12.35; right, where they differ."
    assert ", the patch outlined in both," in description and description.endswith("||x^a - x^b|| = 10.00.")
    assert ", the patch outlined" not in noises_slide(tr, "", outlined=False)[1]
    notes, _ = runs_slide(tr)
    # 4 steps: x_t from step 0 to step 4; x0_hat differs most at its second entry, step 2
    assert notes == ("Both DDIM runs, 4 steps, in step. The distance of x_t starts at 10.00 and ends at 4.13; the "
                     "predicted clean images differ most at step 2: 3.50.")
    assert outputs_slide(tr)[0] == "Outputs differ by 3.20, from noises 12.35 apart."
    notes, words = series_slide("a patch drawn afresh", "2 to 8 px", ["2px", "8px"], [1.04, 5.0], [0.5, 2.25])
    assert notes == "A patch drawn afresh: 2px: noise 1.0, output 0.5; 8px: noise 5.0, output 2.2."
    assert words.startswith('A series, "a patch drawn afresh, 2 to 8 px", joins the plot, one point for each of 2 ')


def test_forward_backward_and_ddim_steps_slides():
    from scenes.ddim_steps import distances_slide, reference_of, run_names, title_words
    from scenes.forward_backward import ddim_back_slide, grid_distances_slide, grid_rows_words
    tr = {"forward_t": np.array(400), "distance": np.float32(7.891), "grid_rows": np.array([0, 2]),
          "row_t": np.array([100, 300, 500]), "final_distance": np.array([1.25, 9.0, 20.04])}
    notes, description = ddim_back_slide(tr, 9)
    assert notes == "8 DDIM steps from t = 400 back to 0; then the difference to x_0: distance 7.89."
    assert "its counter runs to step 8 / 8" in description
    assert "2 rows appear one by one, x_0 noised to t = 100, 500. Each row shows x_0, the noised image, 4 DDIM " \
           "states" in grid_rows_words(tr, 6)
    assert grid_distances_slide(tr)[0] == "Distance of the result to x_0: t = 100: 1.2; t = 500: 20.0."
    runs = {"step_counts": np.array([5, 50, 1000]), "is_ddpm": np.array([0, 0, 1]),
            "distance_to_reference": np.array([3.5, 0.0, 12.25])}
    assert run_names(runs) == ["DDIM 5 steps", "DDIM 50 steps", "DDPM 1000 steps"]
    assert reference_of(runs) == "DDIM 50 steps"  # the DDIM run with the most steps, not DDPM's 1000
    notes, then = title_words(runs)
    assert notes.startswith("One starting noise; DDIM with 5, 50 steps, and DDPM")
    assert then.startswith("Then 3 images of that noise side by side, named DDIM 5 steps, DDIM 50 steps, DDPM")
    assert distances_slide(runs)[0] == ("Distance of each result to DDIM 50 steps: DDIM 5 steps: 3.50; "
                                        "DDIM 50 steps: 0.00; DDPM 1000 steps: 12.25.")


def test_toy_words_count_the_paths_steps_and_samples():
    from scenes.toy import dissolve_words, reverse_words, samples_notes, strays_slides
    tr = {"alpha_bar": np.linspace(0.9, 0.04, 1000), "ddpm_paths": np.zeros((1001, 7, 1)),
          "ddpm_t": np.arange(1000), "ddpm_final": np.zeros((400, 1)), "ddim_paths": np.zeros((51, 7, 1)),
          "ddim_t": np.arange(50), "ddim_final": np.zeros((400, 1))}
    words = reverse_words(tr, "ddim", DDIM)
    assert words.startswith(f"The equation at the top becomes DDIM's, {DDIM.in_words}. 7 DDIM paths grow from "
                            "t = 1000 back to t = 0 in 49 steps")
    assert "a histogram of all 400 DDIM samples" in words
    assert "DDPM paths" in reverse_words(tr, "ddpm", DDPM) and "in 999 steps" in reverse_words(tr, "ddpm", DDPM)
    assert samples_notes(tr, "ddpm", "DDPM", in_words(3)) == (
        "DDPM, 999 steps with the exact eps_hat: 400 samples land in the three modes; the histogram sits on q(x_0).")
    tr2 = {"alpha_bar": np.array([0.64, 0.25, 0.01]), "forward_t": np.array([0, 1]), "stray_sd": 3.0,
           "ddpm_t": np.arange(1000), "ddim_t": np.arange(20), "ddpm_stray": 0.0123, "ddim_stray": 0.25,
           "ddim_fine_stray": 0.001}
    # the sweep ends at t = forward_t[-1] = 1: sqrt(0.25) and sqrt(0.75)
    assert dissolve_words(tr2, (1, 2)).endswith("t runs to 1: the smiley blurs and spreads into a round cloud, "
                                                "sqrt(alpha_bar_t) falls to 0.5000 and sqrt(1 - alpha_bar_t) rises "
                                                "to 0.8660.")
    (_, off), (summary, _) = strays_slides(tr2)
    assert off.endswith("further than 3 sd from every component: DDPM 1.2%; DDIM 25.0%, and 0.1% with 999 steps.")
    assert summary.startswith("25.0% of DDIM's points land off the strokes with 19 steps, 0.1% with 999:")


def test_memorisation_slides_give_the_ranges_of_the_distances():
    from scenes.memorisation import nearest_words, summary_slide
    tr = {"unet_nearest_distance": np.array([12.34, 15.06, 9.96]),
          "exact_nearest_distance": np.array([0.0, 0.01, 0.02]),
          "unet_x": np.zeros((5, 3, 8, 8, 3)), "training_count": np.array(64)}
    words = nearest_words(tr)
    assert "UNet output to this image, 12.34, 15.06, 9.96; exact output to its own nearest, 0.00, 0.01, 0.02." in words
    assert "(distance at most 0.02); the UNet's are 10.0 to 15.1 away" in words
    notes, description = summary_slide(tr)
    assert "to the nearest of the 64 training images: UNet 12.34, 15.06, 9.96; exact 0.00, 0.01, 0.02." in notes
    assert description.startswith("The last frame: the UNet's 3 outputs over their nearest training images, 10.0 to "
                                  "15.1 away;")


def test_schedules_words_per_schedule():
    from scenes.schedules import fewest_and_most, per_schedule, snr_description
    names = ["linear", "squaredcos_cap_v2"]
    assert per_schedule(names, ["0.28", "0.70"]) == "0.28 under linear and 0.70 under cosine"
    assert fewest_and_most(names, [0.05, 0.2]) == "fewest under linear, 5.0%, most under cosine, 20.0%"
    assert fewest_and_most(names, [0.1, 0.1]) == "10.0% under every schedule"
    tr = {"log_snr": np.array([[9.2, -3.1, -11.0], [6.0, 0.5, -7.49]]), "snr_window": np.array([0.1, 10.0]),
          "steps_in_window": np.array([2, 1])}
    words = snr_description(tr, names, 3)
    # the axis runs from the lowest log SNR to the highest, in fives: -15 to 10
    assert "for all two schedules, t from 0 to 3 across and log SNR from -15 to 10 up" in words
    assert "The curves fall from 9.20 to -11.00 under linear and 6.00 to -7.49 under cosine." in words
    assert words.endswith('"linear: 2 of 3" and "cosine: 1 of 3".')


def test_flow_summary_reads_every_run():
    from scenes.flow import run_numbers, summary_slide
    tr = {"stray_sd": 2.5, "euler_stray": np.array([0.5, 0.02]), "ddim_stray": np.array([0.6, 0.03]),
          "euler_straightness": np.array([1.0, 1.25]), "ddim_straightness": np.array([1.5, 2.0]),
          "ddim_flow_straightness": np.array([1.1, 1.2])}
    steps = ["1 step", "8 steps"]
    assert run_numbers(tr, "euler", steps) == "1 step, off 50.0%, straight 1.00; 8 steps, off 2.0%, straight 1.25"
    notes, description = summary_slide(tr, [1, 8], steps)
    assert notes.startswith("Off the strokes (> 2.5 sd): Euler 50.0%, 2.0%; DDIM 60.0%, 3.0% at 1, 8 steps. "
                            "Straightness: Euler 1.00, 1.25; DDIM 1.50, 2.00 in its own x_t, 1.10, 1.20 in the flow's")
    # straightness over 1.1 with the most steps: the note that the exact flow is not straight
    assert notes.endswith("then bend to a stroke.") and description.endswith("then bend to a stroke.")
    tr["euler_straightness"] = np.array([1.0, 1.05])
    notes, description = summary_slide(tr, [1, 8], steps)
    assert notes.endswith("sqrt(1 - alpha_bar_t)).") and description.endswith("with 8 steps.")


def two_d_words(model: str) -> dict[str, list[str]]:
    """Every text of the four 2D scenes that names the mixture, by scene, for the mixture `model` names, from small
    hand-made trajectories; guidance's class is the recording's condition: the mouth, or a drawing's brush 1."""
    from cache.drawings import mixture_words
    from scenes import flow, guidance, schedules, toy
    words = mixture_words(model)
    c = "brush 1" if model.endswith(".json") else "mouth"
    T, weights = 1000, np.array([0.0, 1.0, 3.0, 7.0])
    toy_tr = {"x0": np.zeros((50, 2)), "alpha_bar": np.linspace(0.999, 0.0001, T), "forward_t": np.arange(0, T, 10),
              "ddpm_frames": np.zeros((9, 50, 2)), "ddpm_t": np.arange(T), "ddim_t": np.arange(20),
              "ddpm_frame_t": np.array([999, 0]), "stray_sd": 3.0, "ddpm_stray": 0.01, "ddim_stray": 0.2,
              "ddim_fine_stray": 0.02}
    guided = {"field_t": 300, "reference": np.zeros((50, 2)), "frame_t": np.array([950, 0]), "stray_sd": 3.0,
              "spread": np.array([0.6, 0.2, 0.1, 0.05]), "on_class": np.array([0.2, 0.99, 1.0, 1.0]),
              "coverage": np.array([1.0, 1.0, 0.5, 0.5]), "true_spread": 0.25, "reference_coverage": 1.0}
    flows = {"x_T": np.zeros((50, 2)), "ddim_frame_t": np.array([[999, 0]]), "euler_frame_s": np.array([[1.0, 0.0]])}
    ddim = {"stray_sd": 3.0, "x_T": np.zeros((50, 2)), "ddim_stray": np.full((3, 2), 0.1)}

    def texts(*slides):
        return [t for slide in slides for t in ([slide] if isinstance(slide, str) else slide)]
    return {
        "toy": texts(toy.title_words(toy_tr, words, 3, "the linear schedule"), toy.forward_slide(toy_tr, words, (1, 2)),
                     *toy.field_slides(toy_tr, words), toy.back_slide(toy_tr, words),
                     *toy.strays_slides(toy_tr, words)),
        "guidance": texts(guidance.title_words(guided, words, c), *guidance.field_slides(guided, words, c, weights, 20),
                          guidance.legend_words(c, "3", words), *guidance.samples_slides(guided, words, c, weights)),
        "flow": texts(flow.title_notes(flows, words, [1, 50]),
                      flow.noise_to_data_slide(flows, words, [1, 50], 8, "trailing")),
        "schedules": texts(schedules.strays_note("3", words),
                           schedules.ddim_slide(ddim, words, ["linear", "squaredcos_cap_v2", "scaled_linear"],
                                                [10, 50]))}


def test_the_2d_scenes_name_a_drawing_not_the_smiley():
    drawn, smiley = two_d_words("mixture:/home/me/heart.json"), two_d_words("mixture:smiley")
    for scene, texts in drawn.items():
        said = " ".join(texts)
        for word in ("smiley", "mouth", "face"):  # the smiley's (the faces the image models make are not it)
            assert not re.search(rf"\b{word}\b", said.lower()), f"{scene} says {word!r} of a drawing: {said}"
        assert "your drawing" in said, scene
        # the same texts of the smiley name it: the words do follow the mixture
        assert "smiley" in " ".join(smiley[scene]), scene
    guided = " ".join(drawn["guidance"])
    assert "c = brush 1 against the rest, brush 0." in guided and "on brush 1" in guided
    assert "the mouth alone" in " ".join(smiley["guidance"])
    # the titles of the slides
    assert "Forward: your drawing dissolves" in drawn["toy"] and "Noise to your drawing" in drawn["flow"]
    assert "Forward: the smiley dissolves" in smiley["toy"] and "Noise to smiley" in smiley["flow"]
