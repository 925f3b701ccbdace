//! Column types (`column_types` of the artifact copy of a table).

use crate::pyjson::Py;

use super::cell::Cell;

/// The inferred type of a column: the type of its non-null cells (every
/// column also allows `null`, as in the official client).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ColumnType {
    /// Only nulls so far.
    Unknown,
    /// All non-null cells have this `wb_type`.
    Known(&'static str),
}

impl ColumnType {
    /// Merges a cell into the type; `Err(why)` when incompatible.
    pub(crate) fn assign(&mut self, cell: &Cell) -> Result<(), String> {
        if matches!(cell, Cell::Null) {
            return Ok(());
        }
        if let Cell::Image(img) = cell {
            if img.has_overlays() {
                return Err("images with masks or boxes are not supported in table cells yet; log them outside the table".into());
            }
        }
        let t = cell.wb_type();
        match self {
            ColumnType::Unknown => {
                *self = ColumnType::Known(t);
                Ok(())
            }
            ColumnType::Known(k) if *k == t => Ok(()),
            ColumnType::Known(k) => Err(format!(
                "it holds {k} values and a {t} cell cannot be added (all non-null cells of a column must have one type)"
            )),
        }
    }

    fn inner_py(&self) -> Py {
        match self {
            ColumnType::Unknown => Py::dict([("wb_type", Py::s("unknown"))]),
            ColumnType::Known("image-file") => image_type_py(),
            ColumnType::Known(t) => Py::dict([("wb_type", Py::s(*t))]),
        }
    }

    /// `{"params":{"allowed_types":[..sorted..]},"wb_type":"union"}`.
    pub(crate) fn to_py(&self) -> Py {
        let none = Py::dict([("wb_type", Py::s("none"))]);
        let inner = self.inner_py();
        let inner_name = match self {
            ColumnType::Unknown => "unknown",
            ColumnType::Known(t) => t,
        };
        let allowed = if inner_name < "none" {
            vec![inner, none]
        } else {
            vec![none, inner]
        };
        Py::dict([
            ("params", Py::dict([("allowed_types", Py::List(allowed))])),
            ("wb_type", Py::s("union")),
        ])
    }
}

fn unset_const() -> Py {
    Py::dict([
        (
            "params",
            Py::dict([("is_set", Py::Bool(false)), ("val", Py::Dict(vec![]))]),
        ),
        ("wb_type", Py::s("const")),
    ])
}

/// The image type of plain images (no boxes or masks), as wandb 0.31.0 writes it.
fn image_type_py() -> Py {
    let empty_list_const = Py::dict([
        (
            "params",
            Py::dict([("is_set", Py::Bool(true)), ("val", Py::List(vec![]))]),
        ),
        ("wb_type", Py::s("const")),
    ]);
    Py::dict([
        (
            "params",
            Py::dict([
                ("box_class_maps", unset_const()),
                ("box_layers", unset_const()),
                ("box_score_keys", empty_list_const),
                ("class_map", unset_const()),
                ("mask_class_maps", unset_const()),
                ("mask_layers", unset_const()),
            ]),
        ),
        ("wb_type", Py::s("image-file")),
    ])
}

/// `{"params":{"type_map":{col: type}},"wb_type":"typedDict"}`.
pub(crate) fn column_types_py(columns: &[String], types: &[ColumnType]) -> Py {
    Py::dict([
        (
            "params",
            Py::dict([(
                "type_map",
                Py::Dict(
                    columns
                        .iter()
                        .zip(types)
                        .map(|(c, t)| (c.clone(), t.to_py()))
                        .collect(),
                ),
            )]),
        ),
        ("wb_type", Py::s("typedDict")),
    ])
}
