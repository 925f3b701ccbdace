//! The `.wandb` framing against the official client's files and verdicts
//! (fixtures copied from the reference vectors of wandb 0.31.0).

use std::path::PathBuf;

use proptest::prelude::*;
use sha2::{Digest, Sha256};
use wandb_core::store::{read_file, LogReader, LogWriter, ReadError};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/core")
        .join(name)
}

fn payloads(bytes: &[u8]) -> (Vec<Vec<u8>>, Vec<ReadError>) {
    let mut ok = Vec::new();
    let mut errs = Vec::new();
    for item in LogReader::new(bytes).expect("header") {
        match item {
            Ok(p) => ok.push(p),
            Err(e) => errs.push(e),
        }
    }
    (ok, errs)
}

fn rewrite(records: &[Vec<u8>]) -> Vec<u8> {
    let mut w = LogWriter::new(Vec::new()).unwrap();
    for r in records {
        w.append(r).unwrap();
    }
    w.into_inner()
}

/// Re-framing the payloads of files written by wandb-core gives identical bytes.
#[test]
fn official_files_reframe_byte_identical() {
    for name in [
        "framing/official_multiblock.wandb",
        "framing/boundary_cases.wandb",
        "minimal_run/run-minrun01.wandb",
        "run-onlinerun1.wandb",
    ] {
        let original = std::fs::read(fixture(name)).unwrap();
        let (records, errs) = payloads(&original);
        assert!(errs.is_empty(), "{name}: {errs:?}");
        assert!(!records.is_empty());
        assert_eq!(rewrite(&records), original, "{name}");
    }
}

#[test]
fn boundary_cases_match_expected_lengths_and_hashes() {
    let bytes = std::fs::read(fixture("framing/boundary_cases.wandb")).unwrap();
    let (records, errs) = payloads(&bytes);
    assert!(errs.is_empty());
    let expected: Vec<serde_json::Value> =
        std::fs::read_to_string(fixture("framing/boundary_cases.expected.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
    assert_eq!(records.len(), expected.len());
    for (r, e) in records.iter().zip(&expected) {
        assert_eq!(r.len() as u64, e["length"].as_u64().unwrap());
        let sha = format!("{:x}", Sha256::digest(r));
        assert_eq!(sha, e["sha256"].as_str().unwrap());
    }
}

#[test]
fn negative_cases_follow_the_official_reader() {
    // bad_crc: the official reader returns 3 of 5 records and warns.
    let out = read_file(&fixture("framing/bad_crc.wandb")).unwrap();
    assert_eq!(out.records.len(), 3);
    assert!(
        matches!(&out.problems[..], [ReadError::Corrupt { offset: 46, .. }]),
        "{:?}",
        out.problems
    );

    for (name, needle) in [
        ("framing/bad_ident.wandb", "identifier"),
        ("framing/bad_magic.wandb", "BEE2"),
        ("framing/bad_version.wandb", "newer wandb version"),
    ] {
        let err = read_file(&fixture(name)).unwrap_err().to_string();
        assert!(err.contains(needle), "{name}: {err}");
    }

    // orphan MIDDLE chunk: skipped silently.
    let out = read_file(&fixture("framing/orphan_middle.wandb")).unwrap();
    assert!(out.records.is_empty() && out.problems.is_empty(), "{out:?}");

    // non-zero block padding is not checked.
    let out = read_file(&fixture("framing/nonzero_padding.wandb")).unwrap();
    assert_eq!(out.records.len(), 5);
    assert!(out.problems.is_empty(), "{:?}", out.problems);

    // truncated: one record, then an incomplete one.
    let out = read_file(&fixture("framing/truncated.wandb")).unwrap();
    assert_eq!(out.records.len(), 1);
    assert!(
        matches!(&out.problems[..], [ReadError::Truncated { .. }]),
        "{:?}",
        out.problems
    );

    let out = read_file(&fixture("framing/official_multiblock.wandb")).unwrap();
    assert_eq!(out.records.len(), 16);
}

#[test]
fn exactly_seven_bytes_left_uses_a_zero_length_first_chunk() {
    // first block holds 32761 bytes after the header; a record of
    // 32761 - 7 - 7 = 32747 bytes leaves exactly 7.
    let mut w = LogWriter::new(Vec::new()).unwrap();
    w.append(&vec![1u8; 32747]).unwrap();
    w.append(b"abc").unwrap();
    let bytes = w.into_inner();
    let at = 7 + 7 + 32747;
    assert_eq!(at, 32768 - 7);
    assert_eq!(&bytes[at + 4..at + 7], &[0, 0, 2], "zero-length FIRST");
    assert_eq!(bytes[32768 + 6], 4, "LAST in the next block");
    let (records, errs) = payloads(&bytes);
    assert!(errs.is_empty());
    assert_eq!(records[1], b"abc");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Any sequence of records from 0 B to 200 KiB round-trips.
    #[test]
    fn any_records_round_trip(sizes in prop::collection::vec(
        prop_oneof![0usize..64, 32700usize..32800, 0usize..200 * 1024], 0..12), seed in any::<u8>()) {
        let records: Vec<Vec<u8>> = sizes.iter().enumerate()
            .map(|(i, &n)| (0..n).map(|j| (j as u8) ^ (i as u8) ^ seed).collect())
            .collect();
        let bytes = rewrite(&records);
        let (back, errs) = payloads(&bytes);
        prop_assert!(errs.is_empty(), "{:?}", errs);
        prop_assert_eq!(back, records);
    }

    /// A file cut anywhere yields a prefix of the records and at most a
    /// truncation problem, never a panic.
    #[test]
    fn truncated_files_yield_a_prefix(n in 1usize..6, cut in 0.0f64..1.0) {
        let records: Vec<Vec<u8>> = (0..n).map(|i| vec![i as u8; 20_000 * i + 5]).collect();
        let bytes = rewrite(&records);
        let cut_at = 7 + ((bytes.len() - 7) as f64 * cut) as usize;
        let (back, errs) = payloads(&bytes[..cut_at]);
        prop_assert!(back.len() <= records.len());
        prop_assert_eq!(&records[..back.len()], &back[..]);
        prop_assert!(errs.iter().all(|e| matches!(e, ReadError::Truncated { .. })), "{:?}", errs);
    }
}
