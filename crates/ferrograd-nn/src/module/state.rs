//! `state_dict` / `load_state_dict` with PyTorch's dotted keys and strictness report.

use std::collections::BTreeMap;

use ferrograd_core::{Error, Result, Tensor};

use super::{walk, Module, Slot};

/// Parameters and buffers by dotted name (values share storage with the module's tensors; copy
/// them with `to_vec` to snapshot).
pub fn state_dict(module: &dyn Module) -> BTreeMap<String, Tensor> {
    let mut out = BTreeMap::new();
    walk(module, "", &mut |name, slot| match slot {
        Slot::Parameter(t) | Slot::Buffer(t) => {
            out.insert(name.to_owned(), t.clone());
        }
        Slot::Child(_) => {}
    });
    out
}

/// What `load_state_dict` found besides the keys it loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Keys the module has but the state lacked (left unchanged).
    pub missing: Vec<String>,
    /// Keys the state has but the module lacks (ignored).
    pub unexpected: Vec<String>,
}

/// Copies values from `state` into the module's parameters and buffers, in place. Shapes must
/// match exactly (an error names every mis-shaped key before anything is written). With
/// `strict`, missing or unexpected keys are an error too, as in PyTorch.
pub fn load_state_dict(
    module: &dyn Module,
    state: &BTreeMap<String, Tensor>,
    strict: bool,
) -> Result<LoadReport> {
    let own = state_dict(module);
    let mut report = LoadReport::default();
    let mut mis_shaped = Vec::new();
    for (name, target) in &own {
        match state.get(name) {
            None => report.missing.push(name.clone()),
            Some(src) if src.dims() != target.dims() => mis_shaped.push(format!(
                "{name}: expected {:?}, got {:?}",
                target.dims(),
                src.dims()
            )),
            Some(_) => {}
        }
    }
    report.unexpected = state
        .keys()
        .filter(|k| !own.contains_key(*k))
        .cloned()
        .collect();
    let strict_failure = strict && (!report.missing.is_empty() || !report.unexpected.is_empty());
    if !mis_shaped.is_empty() || strict_failure {
        let mut parts = Vec::new();
        if !mis_shaped.is_empty() {
            parts.push(format!("mis-shaped keys: {}", mis_shaped.join("; ")));
        }
        if strict_failure && !report.missing.is_empty() {
            parts.push(format!("missing keys: {}", report.missing.join(", ")));
        }
        if strict_failure && !report.unexpected.is_empty() {
            parts.push(format!("unexpected keys: {}", report.unexpected.join(", ")));
        }
        return Err(Error::InvalidArgument {
            op: "loadStateDict",
            msg: parts.join(" | "),
        });
    }
    for (name, target) in &own {
        if let Some(src) = state.get(name) {
            target.assign_data(&src.to_vec())?;
        }
    }
    Ok(report)
}
