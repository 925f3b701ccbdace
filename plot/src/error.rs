//! Typed errors of the chart builders.

/// The result type of the chart builders.
pub type Result<T, E = PlotError> = std::result::Result<T, E>;

/// What can be wrong with the data given to a chart builder. Each message
/// says what was wrong and what to pass instead.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PlotError {
    /// Two inputs that must have one entry per sample (or per series) differ
    /// in length.
    #[error("{what}: {left} has {left_len} entries but {right} has {right_len}; pass one entry per {unit}")]
    LengthMismatch {
        /// The chart or computation that was called.
        what: &'static str,
        /// Name of the first input.
        left: &'static str,
        /// Its length.
        left_len: usize,
        /// Name of the second input.
        right: &'static str,
        /// Its length.
        right_len: usize,
        /// What one entry stands for (`sample`, `series`).
        unit: &'static str,
    },
    /// An input that needs at least one sample is empty.
    #[error("{what}: {input} is empty; pass at least one sample")]
    Empty {
        /// The chart or computation that was called.
        what: &'static str,
        /// Name of the empty input.
        input: &'static str,
    },
    /// A score or probability is NaN or infinite (scikit-learn rejects those too).
    #[error("{what}: {input} contains a non-finite value ({value}) at sample {index}; replace NaN/Infinity before plotting")]
    NonFinite {
        /// The chart or computation that was called.
        what: &'static str,
        /// Name of the input.
        input: &'static str,
        /// Index of the offending sample.
        index: usize,
        /// The value.
        value: f64,
    },
    /// A probability row has fewer columns than needed.
    #[error("{what}: row {row} of {input} has {len} columns but class #{needed} (0-based position among the sorted classes) needs column {needed}; pass one probability column per class")]
    MissingColumn {
        /// The chart or computation that was called.
        what: &'static str,
        /// Name of the input.
        input: &'static str,
        /// The row index.
        row: usize,
        /// The row's length.
        len: usize,
        /// The needed column.
        needed: usize,
    },
    /// The rows of a probability matrix do not all have the same length.
    #[error("{what}: row {row} of {input} has {len} columns but row 0 has {expected}; the matrix must be rectangular")]
    Ragged {
        /// The chart or computation that was called.
        what: &'static str,
        /// Name of the input.
        input: &'static str,
        /// The row index.
        row: usize,
        /// The row's length.
        len: usize,
        /// The length of the first row.
        expected: usize,
    },
    /// A class (given as an index) has no entry in the list of class names.
    #[error("{what}: class {class} has no name: {names} names were given; class indices must be in 0..{names}")]
    ClassOutOfRange {
        /// The chart or computation that was called.
        what: &'static str,
        /// The class as written in the input.
        class: String,
        /// How many names were given.
        names: usize,
    },
    /// More distinct classes than class names.
    #[error("{what}: the number of unique {input} ({unique}) exceeds the number of class names ({names}); pass a name for every class")]
    TooFewNames {
        /// The chart or computation that was called.
        what: &'static str,
        /// Which input (`predicted classes`, `true labels`).
        input: &'static str,
        /// Distinct classes found.
        unique: usize,
        /// Names given.
        names: usize,
    },
    /// Class names were given for labels that are not class indices.
    #[error("{what}: class names map class indices 0..{names} to names, but the labels include {class:?}, which is not an index; pass integer labels or no class names")]
    NamesNeedIndices {
        /// The chart or computation that was called.
        what: &'static str,
        /// The first label that is not an index.
        class: String,
        /// How many names were given.
        names: usize,
    },
    /// A column named in a chart does not exist in its table.
    #[error("{what}: the table has no column {column:?} (its columns are {columns:?}); name an existing column")]
    NoSuchColumn {
        /// The chart that was called.
        what: &'static str,
        /// The missing column.
        column: String,
        /// The table's columns.
        columns: Vec<String>,
    },
    /// The computed rows could not be put in a table (the message says why).
    #[error("cannot build the chart table: {0}")]
    Table(String),
}
