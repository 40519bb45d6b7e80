use std::cell::Cell;

thread_local! {
    // Per thread, like PyTorch: a no-grad scope on the JS thread must not affect a worker's training.
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
}

/// Whether ops on this thread currently record autograd nodes.
pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(|g| g.get())
}

/// Turns recording on or off for this thread and returns the previous setting. Prefer
/// [`no_grad`] or [`NoGradGuard`] in Rust; this exists for callers that manage scopes themselves
/// (the JS binding's `noGrad(fn)` restores the returned value in a `finally`).
pub fn set_grad_enabled(enabled: bool) -> bool {
    GRAD_ENABLED.with(|g| g.replace(enabled))
}

/// Restores the previous grad mode when dropped, so scopes nest and survive early returns.
pub struct NoGradGuard {
    previous: bool,
}

impl NoGradGuard {
    /// Disables gradient recording on this thread until the guard is dropped.
    pub fn new() -> Self {
        Self::set(false)
    }

    /// Sets grad mode explicitly (used by backward to turn recording back on for `create_graph`).
    pub fn set(enabled: bool) -> Self {
        let previous = GRAD_ENABLED.with(|g| g.replace(enabled));
        NoGradGuard { previous }
    }
}

impl Default for NoGradGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for NoGradGuard {
    fn drop(&mut self) {
        GRAD_ENABLED.with(|g| g.set(self.previous));
    }
}

/// Runs `f` without recording autograd nodes (inference, optimizer updates).
pub fn no_grad<R>(f: impl FnOnce() -> R) -> R {
    let _guard = NoGradGuard::new();
    f()
}
