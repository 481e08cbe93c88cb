"""The equations the scenes write, part by part (a part named in the text kit's TEX_COLORS takes its colour),
with the words a speaker's notes and a description use for them."""
from __future__ import annotations

from .palette import P

# the noising equation, x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps; its coefficients in the colours
# of what they scale
EQUATION = ["x_t", "=", r"\sqrt{\bar\alpha_t}", "x_0", "+", r"\sqrt{1-\bar\alpha_t}", r"\epsilon"]
SIGNAL, NOISE = {r"\sqrt{\bar\alpha_t}": P.x0}, {r"\sqrt{1-\bar\alpha_t}": P.eps}

SPOKEN_PARTS = {  # an equation part as the speaker notes write it
    r"\frac{1}{\sqrt{\alpha_t}}": "1/sqrt(alpha_t)",
    r"\frac{\beta_t}{\sqrt{1-\bar\alpha_t}}": "beta_t/sqrt(1 - alpha_bar_t)",
    r"\sigma_t": "sigma_t", r"\sqrt{\bar\alpha_{t-1}}": "sqrt(alpha_bar_(t-1))",
    r"\sqrt{1-\bar\alpha_{t-1}}": "sqrt(1 - alpha_bar_(t-1))",
    r"\sqrt{1-\bar\alpha_{t-1}-\sigma_t^2}": "sqrt(1 - alpha_bar_(t-1) - sigma_t^2)",
}


class Update:
    """A sampler's update rule as the scenes write it: its name, the equation's parts, the recorded coefficient
    (cache/stored_arrays.py) shown under each part that has one, and the equation in words; the `_with_noise`
    forms where a recording adds noise that the plain form leaves out (DDIM with eta > 0)."""
    name: str
    equation: list[str]
    numbers: dict[str, str]  # equation part -> recorded coefficient shown under it
    in_words: str
    equation_with_noise: list[str] | None = None
    numbers_with_noise: dict[str, str] | None = None
    in_words_with_noise: str | None = None


class DDPM(Update):
    """DDPM: x_{t-1} = 1/sqrt(alpha_t) (x_t - beta_t/sqrt(1 - alpha_bar_t) eps_hat) + sigma_t z."""
    name = "DDPM"
    equation = ["x_{t-1}", "=", r"\frac{1}{\sqrt{\alpha_t}}", r"\Big(", "x_t", "-",
                r"\frac{\beta_t}{\sqrt{1-\bar\alpha_t}}", r"\hat\epsilon", r"\Big)", "+", r"\sigma_t", "z"]
    numbers = {r"\frac{1}{\sqrt{\alpha_t}}": "inv_sqrt_alpha_t",
               r"\frac{\beta_t}{\sqrt{1-\bar\alpha_t}}": "beta_t_over_sqrt_one_minus_alpha_bar_t",
               r"\sigma_t": "sigma_t"}
    in_words = "x_(t-1) = 1/sqrt(alpha_t) (x_t - beta_t/sqrt(1 - alpha_bar_t) eps_hat) + sigma_t z"


class DDIM(Update):
    """DDIM, Song et al. (2021) eq. (12): x_{t-1} = sqrt(alpha_bar_{t-1}) x0_hat + sqrt(1 - alpha_bar_{t-1} - sigma_t^2)
    eps_hat + sigma_t z. With eta = 0, sigma_t = 0: no noise added, and the middle coefficient is
    sqrt(1 - alpha_bar_{t-1})."""
    name = "DDIM"
    equation = ["x_{t-1}", "=", r"\sqrt{\bar\alpha_{t-1}}", r"\hat x_0", "+", r"\sqrt{1-\bar\alpha_{t-1}}",
                r"\hat\epsilon"]
    numbers = {r"\sqrt{\bar\alpha_{t-1}}": "sqrt_alpha_bar_prev", r"\sqrt{1-\bar\alpha_{t-1}}": "direction_coef"}
    in_words = "x_(t-1) = sqrt(alpha_bar_(t-1)) x0_hat + sqrt(1 - alpha_bar_(t-1)) eps_hat"
    in_words_with_noise = ("x_(t-1) = sqrt(alpha_bar_(t-1)) x0_hat + sqrt(1 - alpha_bar_(t-1) - sigma_t^2) eps_hat"
                           " + sigma_t z")
    equation_with_noise = ["x_{t-1}", "=", r"\sqrt{\bar\alpha_{t-1}}", r"\hat x_0", "+",
                           r"\sqrt{1-\bar\alpha_{t-1}-\sigma_t^2}", r"\hat\epsilon", "+", r"\sigma_t", "z"]
    numbers_with_noise = {r"\sqrt{\bar\alpha_{t-1}}": "sqrt_alpha_bar_prev",
                          r"\sqrt{1-\bar\alpha_{t-1}-\sigma_t^2}": "direction_coef", r"\sigma_t": "sigma_t"}
