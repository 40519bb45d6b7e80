//! Named tensors to and from safetensors files, off the JS thread: the file format of
//! TypeScript `Module.saveWeights` / `loadWeights` (a state dict, readable by Python's
//! `safetensors` and PyTorch).

use std::collections::BTreeMap;

use ferrograd_core::Tensor;
use ferrograd_nn::io::{load_file, save_file};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use parking_lot::Mutex;

use crate::error::{catch_panic, fg_error, into_napi_error, ErrorCode, FgResult};
use crate::tensor::NativeTensor;

fn io_err(e: ferrograd_nn::io::IoError) -> crate::error::FgError {
    fg_error(ErrorCode::Core(e.code()), e.to_string())
}

/// Writes `tensors` under `names` to `path` atomically (temp file + rename), with
/// `{"format": "ferrograd-state-dict"}` metadata.
#[napi(catch_unwind, ts_return_type = "Promise<void>")]
pub fn save_tensors(
    path: String,
    names: Vec<String>,
    tensors: Vec<&NativeTensor>,
) -> Result<AsyncTask<SaveTensorsTask>, ErrorCode> {
    if names.len() != tensors.len() {
        return Err(fg_error(
            ErrorCode::Core("ValueError"),
            format!(
                "saveWeights: {} names for {} tensors",
                names.len(),
                tensors.len()
            ),
        ));
    }
    let entries = names
        .into_iter()
        .zip(tensors)
        .map(|(n, t)| Ok((n, t.get("saveWeights")?)))
        .collect::<FgResult<Vec<_>>>()?;
    Ok(AsyncTask::new(SaveTensorsTask { path, entries }))
}

/// Writes a state dict on a worker thread.
pub struct SaveTensorsTask {
    path: String,
    entries: Vec<(String, Tensor)>,
}

impl Task for SaveTensorsTask {
    type Output = FgResult<()>;
    type JsValue = ();

    fn compute(&mut self) -> Result<Self::Output> {
        let (path, entries) = (self.path.clone(), std::mem::take(&mut self.entries));
        Ok(catch_panic("saveWeights", move || {
            let refs: Vec<(String, &Tensor)> =
                entries.iter().map(|(n, t)| (n.clone(), t)).collect();
            let mut meta = BTreeMap::new();
            meta.insert("format".to_owned(), "ferrograd-state-dict".to_owned());
            save_file(&path, &refs, &meta).map_err(io_err)
        }))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
        output.map_err(|e| into_napi_error(&env, e))
    }
}

/// Reads every tensor of a safetensors file on a worker thread (validated: header size, dtypes,
/// shapes, offsets); resolves to a [`NativeTensorFile`].
#[napi(catch_unwind, ts_return_type = "Promise<NativeTensorFile>")]
pub fn load_tensors(path: String) -> AsyncTask<LoadTensorsTask> {
    AsyncTask::new(LoadTensorsTask { path })
}

/// Reads a safetensors file off the JS thread.
pub struct LoadTensorsTask {
    path: String,
}

impl Task for LoadTensorsTask {
    type Output = FgResult<Vec<(String, Tensor)>>;
    type JsValue = NativeTensorFile;

    fn compute(&mut self) -> Result<Self::Output> {
        let path = self.path.clone();
        Ok(catch_panic("loadWeights", move || {
            let st = load_file(&path).map_err(io_err)?;
            st.names()
                .into_iter()
                .map(|n| Ok((n.to_owned(), st.get(n).map_err(io_err)?)))
                .collect()
        }))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
        output
            .map(|entries| NativeTensorFile {
                entries: Mutex::new(entries),
            })
            .map_err(|e| into_napi_error(&env, e))
    }
}

/// The tensors of a loaded file, by name.
#[napi]
pub struct NativeTensorFile {
    entries: Mutex<Vec<(String, Tensor)>>,
}

#[napi]
impl NativeTensorFile {
    /// Names of the tensors, in file order.
    #[napi(catch_unwind)]
    pub fn names(&self) -> Vec<String> {
        self.entries.lock().iter().map(|(n, _)| n.clone()).collect()
    }

    /// The tensor named `name`, if the file has it.
    #[napi(catch_unwind)]
    pub fn get(&self, env: Env, name: String) -> Result<Option<NativeTensor>, ErrorCode> {
        let found = self
            .entries
            .lock()
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| t.clone());
        found.map(|t| NativeTensor::wrap(&env, t)).transpose()
    }
}
