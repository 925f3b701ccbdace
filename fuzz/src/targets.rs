//! The fuzz targets: each takes raw bytes, runs one parser on them the way
//! the library does, and panics only when the parser breaks a promise (the
//! harness treats any panic as a failure). Errors are fine: they are how
//! the parsers reject bad input.

use std::io::Cursor;
use std::path::Path;

use prost::Message as _;
use wandb_core::credentials;
use wandb_core::proto;
use wandb_core::store::LogReader;
use wandb_tensorboard::convert::{histogram_value, TbPrCurveMedia, TbValue};
use wandb_tensorboard::group::StepGrouper;
use wandb_tensorboard::EventFileReader;

/// The `.wandb` reader: every record is read back and decoded into a
/// `Record`, whose `value_json` fields go through the JSON parser. The
/// reader must end after at most one call per input byte.
pub fn wandb_file(input: &[u8]) {
    let Ok(reader) = LogReader::new(Cursor::new(input)) else {
        return;
    };
    let mut calls = 0usize;
    for item in reader {
        calls += 1;
        assert!(calls <= input.len() + 1, "the .wandb reader does not end");
        let Ok(bytes) = item else { continue };
        let Ok(record) = proto::Record::decode(bytes.as_slice()) else {
            continue;
        };
        if let Some(proto::record::RecordType::History(h)) = &record.record_type {
            for item in &h.item {
                let _ = wandb_core::json::parse(&item.value_json);
            }
        }
    }
}

/// The tfevents reader on a file holding `input` (written to `scratch`),
/// then the conversion of its events to W&B rows as `sync_tensorboard`
/// does. A corrupt record must move the reader forward.
pub fn tfevents(scratch: &Path, input: &[u8]) {
    std::fs::write(scratch, input).expect("write the scratch event file");
    let mut reader = EventFileReader::open(scratch).expect("open the scratch event file");
    let mut grouper = StepGrouper::new("tb");
    let mut calls = 0usize;
    loop {
        calls += 1;
        assert!(calls <= input.len() + 2, "the tfevents reader does not end");
        let before = reader.offset();
        match reader.next_event() {
            Ok(Some(ev)) => {
                if let Some(row) = grouper.push(&ev) {
                    use_row(row);
                }
            }
            Ok(None) => break,
            Err(e) => assert!(
                reader.offset() > before,
                "an error did not move the reader forward: {e}"
            ),
        }
    }
    if let Some(row) = grouper.finish() {
        use_row(row);
    }
}

fn use_row(row: wandb_tensorboard::group::TbRow) {
    for (key, value) in &row.values {
        match value {
            TbValue::Histogram(b) => {
                let _ = histogram_value(b);
            }
            TbValue::PrCurve { recall, precision } => {
                let media = TbPrCurveMedia {
                    chart_key: key.clone(),
                    recall: recall.clone(),
                    precision: precision.clone(),
                };
                let _ = media.table_json();
                let _ = media.chart_config();
            }
            TbValue::Scalar(_) | TbValue::Images(_) => {}
        }
    }
    let _ = row.into_row();
}

/// The W&B JSON parser; what it accepts must encode and parse again.
pub fn json(input: &[u8]) {
    let text = String::from_utf8_lossy(input);
    if let Ok(v) = wandb_core::json::parse(&text) {
        let encoded = wandb_core::json::to_json_string(&v).expect("a parsed value encodes");
        assert!(
            wandb_core::json::parse(&encoded).is_ok(),
            "the encoding of a parsed value does not parse: {encoded}"
        );
    }
}

/// The settings file parser and the settings it sets.
pub fn settings_ini(input: &[u8]) {
    let text = String::from_utf8_lossy(input);
    let _ = wandb_core::settings::parse_ini(&text);
    let _ = wandb_core::Settings::from_ini_text(&text);
}

/// The netrc parser, the base URL -> machine mapping and the key check.
pub fn netrc(input: &[u8]) {
    let text = String::from_utf8_lossy(input);
    // the first line is a base URL, the rest the netrc text
    let (url, rest) = text.split_once('\n').unwrap_or((&text, ""));
    if let Ok(machine) = credentials::netrc_machine(url) {
        assert!(!machine.is_empty());
        let _ = credentials::netrc_lookup(rest, machine);
    }
    if let Some(key) = credentials::netrc_key_for_url(rest, url) {
        let _ = wandb_core::online::ApiKey::new(&key);
    }
    let _ = credentials::netrc_lookup(&text, "api.wandb.ai");
}
