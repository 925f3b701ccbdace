//! The records written at the start of a run: run, telemetry.

use std::time::SystemTime;

use crate::environment;
use crate::error::Result;
use crate::media::RunInfo;
use crate::proto;
use crate::resume::ResumeState;
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
    resumed: Option<&ResumeState>,
) -> Result<proto::RunRecord> {
    let mut summary = Vec::new();
    for (k, v) in resumed.map(|r| &r.summary).into_iter().flatten() {
        summary.push(proto::SummaryItem {
            key: k.clone(),
            nested_key: vec![],
            value_json: crate::json::to_json_string(v)?,
        });
    }
    let tags = match resumed {
        Some(r) if settings.tags.is_empty() => r.tags.clone(),
        _ => settings.tags.clone(),
    };
    let notes = settings
        .notes
        .clone()
        .or_else(|| resumed.and_then(|r| r.notes.clone()))
        .unwrap_or_default();
    Ok(proto::RunRecord {
        run_id: info.run_id.clone(),
        entity: info.entity.clone(),
        project: info.project.clone(),
        config: Some(config_record(config, true)?),
        run_group: settings.group.clone().unwrap_or_default(),
        job_type: settings.job_type.clone().unwrap_or_default(),
        display_name: settings.name.clone().unwrap_or_default(),
        sweep_id: settings.sweep_id.clone().unwrap_or_default(),
        notes,
        tags,
        host: environment::host_name(),
        start_time: Some(environment::timestamp(start)),
        telemetry: Some(telemetry(settings, resumed.is_some())),
        // as the official client: only `allow` and `must` mark the record
        // (`sync` then asks the server to continue the run)
        resume: matches!(
            settings.resume,
            Some(crate::settings::Resume::Allow | crate::settings::Resume::Must)
        ),
        resumed: resumed.is_some(),
        starting_step: resumed.map_or(0, |r| i64::try_from(r.starting_step).unwrap_or(i64::MAX)),
        // saturating float-to-int conversion
        runtime: resumed.map_or(0, |r| r.runtime_secs as i32),
        summary: resumed.map(|_| proto::SummaryRecord {
            update: summary,
            remove: vec![],
            info: None,
        }),
        ..Default::default()
    })
}

pub(super) fn telemetry(settings: &Settings, resumed: bool) -> proto::TelemetryRecord {
    proto::TelemetryRecord {
        feature: Some(proto::Feature {
            offline: settings.mode == Mode::Offline,
            resumed,
            set_init_id: settings.run_id.is_some(),
            set_init_name: settings.name.is_some(),
            set_init_tags: !settings.tags.is_empty(),
            shared_mode: settings.is_shared(),
            user_provided_label: settings.label.is_some(),
            ..Default::default()
        }),
        core_version: format!("wandb-rs {VERSION}"),
        platform: format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH),
        ..Default::default()
    }
}
