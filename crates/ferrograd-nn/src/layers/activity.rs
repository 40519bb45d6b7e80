//! `ActivityRegularization`: penalties on a layer's *outputs* (Keras' `activity_regularizer`),
//! the sparse-autoencoder tool: L1/L2 on activations, or a KL sparsity target on the mean
//! activation of each unit.

use ferrograd_core::{Error, Result, Tensor};
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::leaf_mode;
use crate::module::{Module, Slot};

/// Smallest/largest mean activation the KL penalty sees (keeps `log` finite).
const RHO_CLAMP: f32 = 1e-6;

/// Identity in the forward pass; in training mode it records a penalty on its input that the
/// training loop adds to the loss (through [`Module::regularization_loss`]):
///
/// - `l1·Σ|a| / N + l2·Σa² / N` (summed over the batch, divided by the batch size `N`, as Keras);
/// - with a KL target `ρ`: `β·Σ_j KL(ρ ‖ ρ̂_j)` where `ρ̂_j` is unit `j`'s mean activation over
///   the batch, `KL(ρ‖ρ̂) = ρ log(ρ/ρ̂) + (1-ρ) log((1-ρ)/(1-ρ̂))` (activations must lie in
///   (0, 1), e.g. after a sigmoid).
///
/// The penalty of the latest training-mode forward is handed out once, then cleared.
pub struct ActivityRegularization {
    /// L1 factor.
    pub l1: f32,
    /// L2 factor.
    pub l2: f32,
    /// KL sparsity `(target ρ, weight β)`.
    pub kl: Option<(f32, f32)>,
    pending: Mutex<Option<Tensor>>,
    training: bool,
}

impl ActivityRegularization {
    /// Validates the factors: finite and >= 0, `ρ` in (0, 1).
    pub fn new(l1: f32, l2: f32, kl: Option<(f32, f32)>) -> Result<Self> {
        let bad = |msg: String| Error::InvalidArgument {
            op: "ActivityRegularization",
            msg,
        };
        if !(l1.is_finite() && l1 >= 0.0 && l2.is_finite() && l2 >= 0.0) {
            return Err(bad(format!(
                "l1 and l2 must be finite and >= 0, got {l1}, {l2}"
            )));
        }
        if let Some((rho, beta)) = kl {
            if !(rho > 0.0 && rho < 1.0 && beta.is_finite() && beta >= 0.0) {
                return Err(bad(format!(
                    "the KL target must be in (0, 1) and its weight finite and >= 0, got {rho}, {beta}"
                )));
            }
        }
        Ok(ActivityRegularization {
            l1,
            l2,
            kl,
            pending: Mutex::new(None),
            training: true,
        })
    }

    /// The recorded penalty (a poisoned lock only means a panic elsewhere; the value is fine).
    fn pending(&self) -> MutexGuard<'_, Option<Tensor>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn penalty(&self, a: &Tensor) -> Result<Option<Tensor>> {
        let n = a.dims().first().copied().unwrap_or(1).max(1) as f32;
        let mut total: Option<Tensor> = None;
        let mut add = |t: Tensor| -> Result<()> {
            total = Some(match total.take() {
                Some(acc) => acc.add(&t)?,
                None => t,
            });
            Ok(())
        };
        if self.l1 > 0.0 {
            add(a.abs()?.sum(None, false)?.mul_scalar(self.l1 / n)?)?;
        }
        if self.l2 > 0.0 {
            add(a.square()?.sum(None, false)?.mul_scalar(self.l2 / n)?)?;
        }
        if let Some((rho, beta)) = self.kl {
            let rho_hat = a
                .mean(Some(&[0]), false)?
                .clamp(Some(RHO_CLAMP), Some(1.0 - RHO_CLAMP))?;
            // ρ log ρ - ρ log ρ̂ + (1-ρ) log(1-ρ) - (1-ρ) log(1-ρ̂)
            let constant = rho * rho.ln() + (1.0 - rho) * (1.0 - rho).ln();
            let kl = rho_hat
                .log()?
                .mul_scalar(-rho)?
                .sub(
                    &rho_hat
                        .neg()?
                        .add_scalar(1.0)?
                        .log()?
                        .mul_scalar(1.0 - rho)?,
                )?
                .add_scalar(constant)?;
            add(kl.sum(None, false)?.mul_scalar(beta)?)?;
        }
        Ok(total)
    }
}

impl Module for ActivityRegularization {
    fn type_name(&self) -> &'static str {
        "ActivityRegularization"
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if self.training {
            *self.pending() = self.penalty(x)?;
        }
        Ok(x.clone())
    }

    fn visit(&self, _f: &mut dyn FnMut(&str, Slot<'_>)) {}

    fn regularization_loss(&self) -> Result<Option<Tensor>> {
        Ok(self.pending().take())
    }

    fn config(&self) -> Option<serde_json::Value> {
        let mut c =
            serde_json::json!({"type": "ActivityRegularization", "l1": self.l1, "l2": self.l2});
        if let Some((rho, beta)) = self.kl {
            c["kl_target"] = serde_json::json!(rho);
            c["kl_weight"] = serde_json::json!(beta);
        }
        Some(c)
    }

    leaf_mode!();
}
