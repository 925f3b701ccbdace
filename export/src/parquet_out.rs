//! Parquet writer of a [`Table`] (arrow/parquet crates, uncompressed).

use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;

use crate::error::{Error, Result};
use crate::table::{Data, Table};

/// Writes `table` to `w` as one Parquet file: a column per table column
/// (int64, double, boolean, utf8; missing values are nulls) and `metadata`
/// as the file's key-value metadata.
pub fn write_parquet(
    table: &Table,
    metadata: &[(String, String)],
    w: impl std::io::Write + Send,
) -> Result<()> {
    let mut fields = Vec::with_capacity(table.columns.len());
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(table.columns.len());
    for c in &table.columns {
        let nullable = c.has_missing();
        let valid = |r: usize| c.valid.get(r).copied().unwrap_or(false);
        let (dt, array): (DataType, ArrayRef) = match &c.data {
            Data::Int(v) => (
                DataType::Int64,
                Arc::new(if nullable {
                    Int64Array::from_iter(v.iter().enumerate().map(|(r, x)| valid(r).then_some(*x)))
                } else {
                    Int64Array::from(v.clone())
                }),
            ),
            Data::Float(v) => (
                DataType::Float64,
                Arc::new(if nullable {
                    Float64Array::from_iter(
                        v.iter().enumerate().map(|(r, x)| valid(r).then_some(*x)),
                    )
                } else {
                    Float64Array::from(v.clone())
                }),
            ),
            Data::Bool(v) => (
                DataType::Boolean,
                Arc::new(BooleanArray::from_iter(
                    v.iter().enumerate().map(|(r, x)| valid(r).then_some(*x)),
                )),
            ),
            Data::Str(v) => (
                DataType::Utf8,
                Arc::new(StringArray::from_iter(
                    v.iter()
                        .enumerate()
                        .map(|(r, x)| valid(r).then_some(x.as_str())),
                )),
            ),
        };
        fields.push(Field::new(&c.name, dt, nullable));
        arrays.push(array);
    }
    // schema metadata is written as the file's key-value metadata too
    let schema = Arc::new(Schema::new_with_metadata(
        fields,
        metadata
            .iter()
            .cloned()
            .collect::<std::collections::HashMap<_, _>>(),
    ));
    let batch = if arrays.is_empty() {
        RecordBatch::new_empty(schema.clone())
    } else {
        RecordBatch::try_new(schema.clone(), arrays).map_err(|e| Error::encode("Parquet", e))?
    };
    let props = WriterProperties::builder().build();
    let mut writer =
        ArrowWriter::try_new(w, schema, Some(props)).map_err(|e| Error::encode("Parquet", e))?;
    writer
        .write(&batch)
        .map_err(|e| Error::encode("Parquet", e))?;
    writer.close().map_err(|e| Error::encode("Parquet", e))?;
    Ok(())
}
