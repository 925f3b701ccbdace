//! The records written at the start of a run: run, telemetry.

use std::time::SystemTime;

use crate::environment;
use crate::error::Result;
use crate::media::RunInfo;
use crate::proto;
use crate::settings::{Mode, Settings};
use crate::value::Map;

use super::VERSION;

pub(super) fn random_writer_id() -> String {
    let hex = |n: usize| -> String {
        (0..n)
            .map(|_| char::from_digit(fastrand::u32(..16), 16).unwrap_or('0'))
            .collect()
    };
    format!("{}-{}-{}-{}-{}", hex(8), hex(4), hex(4), hex(4), hex(12))
}

fn config_record(config: &Map, with_wandb: bool) -> Result<proto::ConfigRecord> {
    let mut update = Vec::with_capacity(config.len() + 1);
    if with_wandb {
        update.push(proto::ConfigItem {
            key: "_wandb".into(),
            nested_key: vec![],
            value_json: "{}".into(),
        });
    }
    for (k, v) in config {
        update.push(proto::ConfigItem {
            key: k.clone(),
            nested_key: vec![],
            value_json: crate::json::to_json_string(v)?,
        });
    }
    Ok(proto::ConfigRecord {
        update,
        remove: vec![],
        info: None,
    })
}

pub(super) fn run_record(
    settings: &Settings,
    info: &RunInfo,
    config: &Map,
    start: SystemTime,
) -> Result<proto::RunRecord> {
    Ok(proto::RunRecord {
        run_id: info.run_id.clone(),
        entity: info.entity.clone(),
        project: info.project.clone(),
        config: Some(config_record(config, true)?),
        run_group: settings.group.clone().unwrap_or_default(),
        job_type: settings.job_type.clone().unwrap_or_default(),
        display_name: settings.name.clone().unwrap_or_default(),
        notes: settings.notes.clone().unwrap_or_default(),
        tags: settings.tags.clone(),
        host: environment::host_name(),
        start_time: Some(environment::timestamp(start)),
        telemetry: Some(telemetry(settings)),
        resume: matches!(
            settings.resume,
            Some(
                crate::settings::Resume::Allow
                    | crate::settings::Resume::Must
                    | crate::settings::Resume::Auto
            )
        ),
        ..Default::default()
    })
}

pub(super) fn telemetry(settings: &Settings) -> proto::TelemetryRecord {
    proto::TelemetryRecord {
        feature: Some(proto::Feature {
            offline: settings.mode == Mode::Offline,
            set_init_id: settings.run_id.is_some(),
            set_init_name: settings.name.is_some(),
            set_init_tags: !settings.tags.is_empty(),
            ..Default::default()
        }),
        core_version: format!("wandb-rs {VERSION}"),
        platform: format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH),
        ..Default::default()
    }
}
