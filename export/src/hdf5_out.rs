//! HDF5 writer (hdf5-metno): a group per run holding a dataset per column.

use std::path::Path;
use std::str::FromStr as _;

use hdf5::types::VarLenUnicode;
use hdf5_metno as hdf5;

use crate::error::{Error, Result};
use crate::table::{Data, Table};

fn h5err(e: hdf5::Error) -> Error {
    Error::encode("HDF5", e)
}

fn vlu(s: &str) -> VarLenUnicode {
    // HDF5 strings cannot hold NUL bytes
    VarLenUnicode::from_str(&s.replace('\0', "\u{FFFD}")).unwrap_or_default()
}

/// A dataset name for a column: `/` (group separator) is written `%2F`
/// and `%` is written `%25`; `.` is kept.
pub fn dataset_name(column: &str) -> String {
    column.replace('%', "%25").replace('/', "%2F")
}

/// One run's part of an HDF5 export.
pub struct Hdf5Run<'a> {
    /// The group name (the run id).
    pub group: &'a str,
    /// Its history.
    pub table: &'a Table,
    /// String attributes of the group (`summary`, `config` as JSON, ...).
    pub attrs: &'a [(String, String)],
}

/// Writes `runs` to a new HDF5 file at `path`: group `/<run id>` per run
/// with string attributes and a 1-D dataset per history column (int64,
/// float64, bool, UTF-8 strings). Int and bool columns with missing values
/// become float64 with NaN (HDF5 has no nulls; bools as 1.0/0.0); missing
/// strings are empty.
pub fn write_hdf5(path: &Path, runs: &[Hdf5Run<'_>]) -> Result<()> {
    let file = hdf5::File::create(path).map_err(h5err)?;
    for run in runs {
        let group = file.create_group(&dataset_name(run.group)).map_err(h5err)?;
        for (k, v) in run.attrs {
            let attr = group
                .new_attr::<VarLenUnicode>()
                .shape(())
                .create(k.as_str())
                .map_err(h5err)?;
            attr.write_scalar(&vlu(v)).map_err(h5err)?;
        }
        let history = group.create_group("history").map_err(h5err)?;
        for c in &run.table.columns {
            let name = dataset_name(&c.name);
            let builder = history.new_dataset_builder();
            match &c.data {
                Data::Int(v) if c.has_missing() => {
                    let f: Vec<f64> = v
                        .iter()
                        .zip(&c.valid)
                        .map(|(x, ok)| if *ok { *x as f64 } else { f64::NAN })
                        .collect();
                    builder.with_data(f.as_slice()).create(name.as_str())
                }
                Data::Int(v) => builder.with_data(v.as_slice()).create(name.as_str()),
                Data::Float(v) => builder.with_data(v.as_slice()).create(name.as_str()),
                Data::Bool(v) if c.has_missing() => {
                    let f: Vec<f64> = v
                        .iter()
                        .zip(&c.valid)
                        .map(|(x, ok)| match (ok, x) {
                            (false, _) => f64::NAN,
                            (true, true) => 1.0,
                            (true, false) => 0.0,
                        })
                        .collect();
                    builder.with_data(f.as_slice()).create(name.as_str())
                }
                Data::Bool(v) => builder.with_data(v.as_slice()).create(name.as_str()),
                Data::Str(v) => {
                    let s: Vec<VarLenUnicode> = v.iter().map(|x| vlu(x)).collect();
                    builder.with_data(s.as_slice()).create(name.as_str())
                }
            }
            .map_err(h5err)?;
        }
    }
    file.close().map_err(h5err)
}
