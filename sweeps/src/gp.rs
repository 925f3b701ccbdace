//! A Gaussian process with an isotropic Matérn ν=1.5 kernel, as scikit-learn's
//! `GaussianProcessRegressor(kernel=Matern(nu=1.5), alpha=1e-7)` fits it:
//! the length scale maximises the log marginal likelihood over
//! `[1e-5, 1e5]`.

/// Lower and upper bound of `ln(length_scale)` (scikit-learn's defaults).
pub const LOG_BOUNDS: (f64, f64) = (-11.512_925_464_970_229, 11.512_925_464_970_229);
const NUGGET: f64 = 1e-7;

fn matern(d: f64, l: f64) -> f64 {
    let r = 3f64.sqrt() * d / l;
    (1.0 + r) * (-r).exp()
}

fn dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

/// Lower Cholesky factor of a row-major `n×n` matrix, `None` if not
/// positive definite.
fn cholesky(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= l[i * n + k] * l[j * n + k];
            }
            if i == j {
                if s <= 0.0 || !s.is_finite() {
                    return None;
                }
                l[i * n + i] = s.sqrt();
            } else {
                l[i * n + j] = s / l[j * n + j];
            }
        }
    }
    Some(l)
}

/// Solves `L x = b` in place.
fn forward(l: &[f64], n: usize, b: &mut [f64]) {
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i * n + k] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
}

/// Solves `Lᵀ x = b` in place.
fn backward(l: &[f64], n: usize, b: &mut [f64]) {
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in i + 1..n {
            s -= l[k * n + i] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
}

/// A fitted process.
#[derive(Debug, Clone)]
pub struct Gp {
    x: Vec<Vec<f64>>,
    l: Vec<f64>,
    alpha: Vec<f64>,
    /// `ln(length_scale)` after fitting.
    pub theta: f64,
}

/// Distances between all training points.
fn distances(x: &[Vec<f64>]) -> Vec<f64> {
    let n = x.len();
    let mut d = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..i {
            let v = dist(&x[i], &x[j]);
            d[i * n + j] = v;
            d[j * n + i] = v;
        }
    }
    d
}

/// Log marginal likelihood at `theta`, with the factor and weights.
fn lml(d: &[f64], n: usize, y: &[f64], theta: f64) -> Option<(f64, Vec<f64>, Vec<f64>)> {
    let ls = theta.exp();
    let mut k: Vec<f64> = d.iter().map(|&v| matern(v, ls)).collect();
    for i in 0..n {
        k[i * n + i] += NUGGET;
    }
    let l = cholesky(&k, n)?;
    let mut alpha = y.to_vec();
    forward(&l, n, &mut alpha);
    backward(&l, n, &mut alpha);
    let fit: f64 = y.iter().zip(&alpha).map(|(a, b)| a * b).sum();
    let logdet: f64 = (0..n).map(|i| l[i * n + i].ln()).sum();
    let v = -0.5 * fit - logdet - 0.5 * n as f64 * (2.0 * std::f64::consts::PI).ln();
    v.is_finite().then_some((v, l, alpha))
}

impl Gp {
    /// Fits to `x` (rows) and normalised targets `y`.
    pub fn fit(x: Vec<Vec<f64>>, y: &[f64]) -> Option<Gp> {
        let n = x.len();
        let d = distances(&x);
        let f = |t: f64| lml(&d, n, y, t).map_or(f64::NEG_INFINITY, |r| r.0);
        // Coarse scan of ln(length scale), then golden-section refinement
        // around the best grid point.
        let (lo, hi) = LOG_BOUNDS;
        let steps = 24;
        let h = (hi - lo) / steps as f64;
        let grid: Vec<(f64, f64)> = (0..=steps)
            .map(|i| lo + i as f64 * h)
            .map(|t| (t, f(t)))
            .collect();
        let best = grid
            .iter()
            .enumerate()
            .fold((0, f64::NEG_INFINITY), |acc, (i, g)| {
                if g.1 > acc.1 {
                    (i, g.1)
                } else {
                    acc
                }
            })
            .0;
        let (mut a, mut b) = (lo.max(grid[best].0 - h), hi.min(grid[best].0 + h));
        let g = (5f64.sqrt() - 1.0) / 2.0;
        let (mut c, mut dd) = (b - g * (b - a), a + g * (b - a));
        let (mut fc, mut fd) = (f(c), f(dd));
        for _ in 0..60 {
            if fc > fd {
                b = dd;
                dd = c;
                fd = fc;
                c = b - g * (b - a);
                fc = f(c);
            } else {
                a = c;
                c = dd;
                fc = fd;
                dd = a + g * (b - a);
                fd = f(dd);
            }
            if (b - a).abs() < 1e-8 {
                break;
            }
        }
        let mut theta = 0.5 * (a + b);
        // The bounds themselves can be the optimum (flat or monotone likelihood).
        for edge in [lo, hi] {
            if f(edge) >= f(theta) {
                theta = edge;
            }
        }
        let (_, l, alpha) = lml(&d, n, y, theta)?;
        Some(Gp { x, l, alpha, theta })
    }

    /// Whether the length scale sits at a bound (`np.isclose` with the
    /// bounds, as the official code checks).
    pub fn at_bounds(&self) -> bool {
        let close = |b: f64| (b - self.theta).abs() <= 1e-8 + 1e-5 * self.theta.abs();
        close(LOG_BOUNDS.0) || close(LOG_BOUNDS.1)
    }

    /// Mean and standard deviation at `q` (NaN deviation where rounding
    /// makes the variance negative, as scikit-learn's `return_cov` does).
    pub fn predict(&self, q: &[f64]) -> (f64, f64) {
        let n = self.x.len();
        let ls = self.theta.exp();
        let mut k: Vec<f64> = self.x.iter().map(|xi| matern(dist(xi, q), ls)).collect();
        let mean: f64 = k.iter().zip(&self.alpha).map(|(a, b)| a * b).sum();
        forward(&self.l, n, &mut k);
        let var = 1.0 - k.iter().map(|v| v * v).sum::<f64>();
        (mean, var.sqrt())
    }
}
