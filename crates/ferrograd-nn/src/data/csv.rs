//! CSV tables with numeric and categorical columns (RFC 4180 quoting).
//!
//! A column is numeric when every non-missing cell parses as a number; otherwise it is
//! categorical and its distinct values get indices in order of first appearance (stable across
//! runs, unlike sorting by frequency). Missing cells (empty, `NA`, `NaN`, `?`) become NaN in
//! numeric columns; in categorical ones they are a category of their own only if
//! `missing_as_category` is set, else an error naming the row and column.

use ferrograd_core::{Error, Result};

/// Options of [`parse_csv`].
#[derive(Debug, Clone)]
pub struct CsvOptions {
    /// The first non-empty line holds column names (otherwise columns are named `c0`, `c1`, ...).
    pub header: bool,
    /// Field separator (default `,`).
    pub delimiter: char,
    /// Keep missing categorical cells as a category named `""` instead of failing.
    pub missing_as_category: bool,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            header: true,
            delimiter: ',',
            missing_as_category: false,
        }
    }
}

/// One parsed column.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// Numbers, NaN where missing.
    Numeric(Vec<f32>),
    /// Category index per row, and the category names by index.
    Categorical {
        codes: Vec<u32>,
        categories: Vec<String>,
    },
}

/// A parsed table: column names and columns of equal length.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvTable {
    pub names: Vec<String>,
    pub columns: Vec<Column>,
    /// Number of data rows.
    pub rows: usize,
}

fn bad(msg: String) -> Error {
    Error::InvalidArgument {
        op: "parseCsv",
        msg,
    }
}

/// Splits one record, honouring double quotes (`""` inside quotes is a literal quote).
fn split_record(line: &str, delimiter: char, line_no: usize) -> Result<Vec<String>> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            c if c == delimiter && !quoted => fields.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    if quoted {
        return Err(bad(format!("line {line_no}: unterminated quoted field")));
    }
    fields.push(field);
    Ok(fields)
}

fn is_missing(cell: &str) -> bool {
    matches!(cell, "" | "NA" | "NaN" | "nan" | "?")
}

/// Parses CSV text into typed columns. Quoted fields may not span lines.
pub fn parse_csv(text: &str, options: &CsvOptions) -> Result<CsvTable> {
    let mut records: Vec<(usize, Vec<String>)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let fields = split_record(line, options.delimiter, i + 1)?;
        records.push((
            i + 1,
            fields.into_iter().map(|f| f.trim().to_owned()).collect(),
        ));
    }
    let width = records
        .first()
        .map(|(_, r)| r.len())
        .ok_or_else(|| bad("the file has no rows".into()))?;
    let (names, body) = if options.header {
        (records[0].1.clone(), &records[1..])
    } else {
        ((0..width).map(|i| format!("c{i}")).collect(), &records[..])
    };
    for (line_no, r) in body {
        if r.len() != width {
            return Err(bad(format!(
                "line {line_no}: {} fields, expected {width}",
                r.len()
            )));
        }
    }
    let mut columns = Vec::with_capacity(width);
    for (c, name) in names.iter().enumerate() {
        let cells = body.iter().map(|(n, r)| (*n, r[c].as_str()));
        let numbers: Option<Vec<f32>> = cells
            .clone()
            .map(|(_, cell)| {
                if is_missing(cell) {
                    Some(f32::NAN)
                } else {
                    cell.parse::<f32>().ok()
                }
            })
            .collect();
        let column = match numbers {
            Some(values) => Column::Numeric(values),
            None => {
                let mut categories: Vec<String> = Vec::new();
                let mut codes = Vec::with_capacity(body.len());
                for (line_no, cell) in cells {
                    if is_missing(cell) && !options.missing_as_category {
                        return Err(bad(format!(
                            "line {line_no}: missing value in categorical column '{name}'"
                        )));
                    }
                    let code = match categories.iter().position(|k| k == cell) {
                        Some(code) => code,
                        None => {
                            categories.push(cell.to_owned());
                            categories.len() - 1
                        }
                    };
                    codes.push(code as u32);
                }
                Column::Categorical { codes, categories }
            }
        };
        columns.push(column);
    }
    Ok(CsvTable {
        names,
        columns,
        rows: body.len(),
    })
}
