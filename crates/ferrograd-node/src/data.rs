//! CSV loading off the JS thread: parsed into one numeric matrix plus category names.

use ferrograd_core::Tensor;
use ferrograd_nn::data::csv::{parse_csv, Column, CsvOptions};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::error::{catch_panic, core_err, fg_error, into_napi_error, ErrorCode, FgResult};
use crate::tensor::NativeTensor;

/// A parsed CSV table: `[rows, columns]` values (categorical columns hold category codes).
#[napi]
pub struct NativeCsv {
    names: Vec<String>,
    categories: String,
    data: Option<Tensor>,
}

#[napi]
impl NativeCsv {
    /// Column names (from the header, or `c0`, `c1`, ...).
    #[napi(getter, catch_unwind)]
    pub fn names(&self) -> Vec<String> {
        self.names.clone()
    }

    /// JSON object: column name → category names, for categorical columns only.
    #[napi(getter, catch_unwind)]
    pub fn categories(&self) -> String {
        self.categories.clone()
    }

    /// The values as a `[rows, columns]` tensor (NaN where a numeric cell is missing).
    #[napi(catch_unwind)]
    pub fn tensor(&self, env: Env) -> Result<NativeTensor, ErrorCode> {
        let t = self
            .data
            .clone()
            .ok_or_else(|| fg_error(ErrorCode::Disposed, "loadCsv: no data"))?;
        NativeTensor::wrap(&env, t)
    }
}

/// Reads and parses a CSV file on a worker thread.
#[napi(catch_unwind, ts_return_type = "Promise<NativeCsv>")]
pub fn load_csv(path: String, header: bool, delimiter: String) -> AsyncTask<CsvTask> {
    AsyncTask::new(CsvTask {
        path,
        header,
        delimiter,
    })
}

/// Parses a CSV file off the JS thread.
pub struct CsvTask {
    path: String,
    header: bool,
    delimiter: String,
}

impl Task for CsvTask {
    type Output = FgResult<NativeCsv>;
    type JsValue = NativeCsv;

    fn compute(&mut self) -> Result<Self::Output> {
        let (path, header, delimiter) = (self.path.clone(), self.header, self.delimiter.clone());
        Ok(catch_panic("loadCsv", move || {
            let mut chars = delimiter.chars();
            let delimiter = match (chars.next(), chars.next()) {
                (Some(c), None) => c,
                _ => {
                    return Err(fg_error(
                        ErrorCode::Core("ValueError"),
                        format!("loadCsv: delimiter must be one character, got '{delimiter}'"),
                    ))
                }
            };
            let text = std::fs::read_to_string(&path).map_err(|e| {
                fg_error(ErrorCode::Core("IOError"), format!("loadCsv: {path}: {e}"))
            })?;
            let options = CsvOptions {
                header,
                delimiter,
                ..CsvOptions::default()
            };
            let table = parse_csv(&text, &options)
                .map_err(|e| fg_error(ErrorCode::Core("FormatError"), format!("{path}: {e}")))?;
            let (rows, cols) = (table.rows, table.columns.len());
            let mut data = vec![0.0f32; rows * cols];
            let mut categories = serde_json::Map::new();
            for (c, (name, column)) in table.names.iter().zip(&table.columns).enumerate() {
                match column {
                    Column::Numeric(values) => {
                        for (r, &v) in values.iter().enumerate() {
                            data[r * cols + c] = v;
                        }
                    }
                    Column::Categorical {
                        codes,
                        categories: names,
                    } => {
                        for (r, &code) in codes.iter().enumerate() {
                            data[r * cols + c] = code as f32;
                        }
                        categories.insert(name.clone(), serde_json::json!(names));
                    }
                }
            }
            let tensor = Tensor::from_vec(data, &[rows, cols]).map_err(core_err)?;
            Ok(NativeCsv {
                names: table.names,
                categories: serde_json::Value::Object(categories).to_string(),
                data: Some(tensor),
            })
        }))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
        output.map_err(|e| into_napi_error(&env, e))
    }
}
