//! Dataset file formats. Parsing runs in Rust so that loading MNIST-sized files never blocks the
//! JavaScript thread (the binding calls these from async tasks).

pub mod augment;
pub mod csv;
pub mod idx;
