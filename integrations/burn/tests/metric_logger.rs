//! `WandbMetricLogger` fed by hand with the updates burn's event store sends:
//! names, epoch rows without a validation split, test values, `read_numeric`.

use std::sync::Arc;

use burn::train::logger::MetricLogger;
use burn::train::metric::store::{EpochSummary, MetricsUpdate, NumericMetricUpdate, Split};
use burn::train::metric::{
    MetricAttributes, MetricDefinition, MetricEntry, MetricId, NumericAttributes, NumericEntry,
    SerializedEntry,
};
use serde_json::{Map, Value as J};
use wandb_burn::burn;
use wandb_burn::WandbMetricLogger;
use wandb_core::proto::record::RecordType;

fn definition(name: &str, higher_is_better: bool) -> MetricDefinition {
    MetricDefinition {
        metric_id: MetricId::new(Arc::new(name.to_owned())),
        name: Arc::new(name.to_owned()),
        description: None,
        attributes: MetricAttributes::Numeric(NumericAttributes {
            unit: None,
            higher_is_better,
        }),
    }
}

fn update(name: &str, entry: NumericEntry) -> MetricsUpdate {
    let id = MetricId::new(Arc::new(name.to_owned()));
    let serialized = SerializedEntry::new(format!("{}", entry.current()), entry.serialize());
    MetricsUpdate::new(
        Vec::new(),
        vec![NumericMetricUpdate::new(
            MetricEntry::new(id, serialized),
            Some(entry),
            None,
        )],
    )
}

fn rows(file: &std::path::Path) -> Vec<Map<String, J>> {
    wandb_core::store::read_file(file)
        .unwrap()
        .records
        .into_iter()
        .filter_map(|r| match r.record_type {
            Some(RecordType::History(h)) => Some(
                h.item
                    .into_iter()
                    .map(|i| {
                        let k = if i.nested_key.is_empty() {
                            i.key
                        } else {
                            i.nested_key.join(".")
                        };
                        (k, serde_json::from_str(&i.value_json).unwrap())
                    })
                    .collect(),
            ),
            _ => None,
        })
        .collect()
}

#[test]
fn batches_epochs_test_values_and_read_numeric() {
    let tmp = tempfile::tempdir().unwrap();
    let run = wandb_core::init(
        wandb_core::InitOptions::new()
            .project("burn-logger")
            .dir(tmp.path())
            .mode(wandb_core::Mode::Offline)
            // no WANDB_* variable or settings file of the machine
            .environment([("HOME", tmp.path().join("home").display().to_string())]),
    )
    .unwrap();
    let mut logger = WandbMetricLogger::new(&run);
    logger.log_metric_definition(definition("Loss", false));
    logger.log_metric_definition(definition("Accuracy", true));

    // Epoch 1: two batches, burn's epoch value, no validation split at all.
    logger.log(update("Loss", NumericEntry::Value(0.8)), 1, &Split::Train);
    logger.log(
        update(
            "Accuracy",
            NumericEntry::Aggregated {
                aggregated_value: 40.0,
                count: 8,
            },
        ),
        1,
        &Split::Train,
    );
    logger.log(update("Loss", NumericEntry::Final(0.7)), 1, &Split::Train);
    logger.log_epoch_summary(EpochSummary::new(1, Split::Train));
    // Epoch 2 starts: the pending epoch-1 row is committed first.
    logger.log(update("Loss", NumericEntry::Value(0.5)), 2, &Split::Train);
    logger.log(
        update("Accuracy", NumericEntry::Final(75.0)),
        2,
        &Split::Valid,
    );
    logger.log_epoch_summary(EpochSummary::new(2, Split::Valid));
    logger.log(
        update("Loss", NumericEntry::Final(0.4)),
        2,
        &Split::Test(Some(Arc::new("holdout".into()))),
    );
    assert_eq!(logger.global_step(), 3);

    // burn's checkpointing and early stopping read through the inner logger.
    let read = logger.read_numeric("Loss", 1, &Split::Train).unwrap();
    assert_eq!(read.len(), 2);
    assert!(matches!(read[1], NumericEntry::Final(v) if v == 0.7));
    let read = logger.read_numeric("Loss", 2, &Split::Train).unwrap();
    assert!(matches!(read.as_slice(), [NumericEntry::Value(v)] if *v == 0.5));
    drop(logger);
    run.finish().unwrap();

    let rows = rows(run.wandb_file());
    let keys: Vec<Vec<&str>> = rows
        .iter()
        .map(|r| {
            r.keys()
                .map(String::as_str)
                .filter(|k| !k.starts_with('_'))
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), 5, "{keys:?}");
    assert_eq!(rows[0]["train/Loss"], 0.8);
    assert_eq!(rows[0]["global_step"], 1);
    assert_eq!(rows[0]["epoch"], 1);
    assert_eq!(rows[1]["train/Accuracy"], 40.0);
    assert_eq!(rows[2]["train_epoch/Loss"], 0.7);
    assert_eq!(rows[2]["epoch"], 1);
    assert_eq!(rows[2]["global_step"], 2);
    assert_eq!(rows[3]["train/Loss"], 0.5);
    assert_eq!(rows[4]["valid/Accuracy"], 75.0);
    assert_eq!(rows[4]["epoch"], 2);

    let metrics: Vec<_> = wandb_core::store::read_file(run.wandb_file())
        .unwrap()
        .records
        .into_iter()
        .filter_map(|r| match r.record_type {
            Some(RecordType::Metric(m)) => Some(m),
            _ => None,
        })
        .collect();
    let acc = metrics.iter().find(|m| m.name == "valid/Accuracy").unwrap();
    assert!(acc.summary.as_ref().unwrap().max, "higher is better -> max");
    assert_eq!(acc.step_metric, "epoch");
    let train = metrics.iter().find(|m| m.glob_name == "train/*").unwrap();
    assert_eq!(train.step_metric, "global_step");

    let summary = wandb_test_support::leet_summary(run.wandb_file());
    assert_eq!(summary["summary"]["test/holdout/Loss"], 0.4);
    assert_eq!(summary["summary"]["valid/Accuracy"]["max"], 75.0);
    assert_eq!(summary["state"], "finished");
}
