//! Starting a run: [`init`] (records into the run directory's `.wandb`
//! file) and [`init_with_sink`] (records into any [`RecordSink`]).

use std::fs::File;
use std::sync::Arc;
use std::time::SystemTime;

use parking_lot::Mutex;

use crate::environment;
use crate::error::{Error, Result};
use crate::init::InitOptions;
use crate::media::RunInfo;
use crate::proto::{self, record::RecordType};
use crate::queue::Queue;
use crate::row::validate_key;
use crate::run_dir::{self, RunDir};
use crate::settings::Mode;
use crate::store::{FileSink, RecordSink};
use crate::worker::{self, WorkerSetup};

use super::records::{random_writer_id, run_record, telemetry};
use super::{resume, CallerState, Run, Shared, VERSION};

/// Starts a run.
///
/// ```no_run
/// let run = wandb_core::init(wandb_core::InitOptions::new().project("demo"))?;
/// run.log(serde_json::json!({"loss": 0.5}))?;
/// run.finish()?;
/// # Ok::<(), wandb_core::Error>(())
/// ```
pub fn init(options: InitOptions) -> Result<Run> {
    start(options, None)
}

/// Starts a run whose records go to `sink` instead of a `.wandb` file: the
/// same records in the same order (see [`RecordSink`]), written by the same
/// writer thread, so `log()` stays as cheap as with [`init`]. This is the
/// seam of `wandb-testkit`'s capture mode.
///
/// Nothing is written to disk for the run itself: no run directory, no
/// `requirements.txt`, no console capture (the process's stdout is left
/// alone). [`Run::files_dir`] is a path that does not exist until a media
/// value or a saved file is written into it (under [`InitOptions::dir`]).
/// Online mode and resuming read or upload the `.wandb` file, so they are
/// refused with [`Error::Unsupported`]; a disabled run writes nothing.
///
/// ```
/// use wandb_core::store::RecordSink;
///
/// #[derive(Default)]
/// struct Count(u64);
/// impl RecordSink for Count {
///     fn append(&mut self, _record: &[u8]) -> std::io::Result<()> {
///         self.0 += 1;
///         Ok(())
///     }
///     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
///     fn bytes_written(&self) -> u64 { 0 }
/// }
///
/// let home = std::env::temp_dir().join("wandb-core-doc-no-such-home");
/// let run = wandb_core::init_with_sink(
///     wandb_core::InitOptions::new()
///         .mode(wandb_core::Mode::Offline)
///         .system_metrics(false)
///         .environment([("HOME", home.display().to_string())]),
///     Box::new(Count::default()),
/// )?;
/// run.log(serde_json::json!({"loss": 0.5}))?;
/// run.finish()?;
/// assert!(!run.dir().exists());
/// # Ok::<(), wandb_core::Error>(())
/// ```
pub fn init_with_sink(options: InitOptions, sink: Box<dyn RecordSink>) -> Result<Run> {
    start(options, Some(sink))
}

fn start(options: InitOptions, sink: Option<Box<dyn RecordSink>>) -> Result<Run> {
    let (mut settings, warnings) = options.resolve_with_warnings()?;
    for w in &warnings {
        tracing::warn!("{w}");
        if !settings.silent {
            eprintln!("wandb: WARNING {w}");
        }
    }
    let mut config = options.take_config()?;
    for k in config.keys() {
        validate_key(k, false)?;
    }
    if settings.mode == Mode::Online && !cfg!(feature = "online") {
        return Err(online_not_compiled());
    }
    let on_disk = sink.is_none();
    if !on_disk && settings.mode == Mode::Online {
        return Err(Error::Unsupported(
            "a run writing to a record sink cannot be online (the uploader reads the .wandb file); use Mode::Offline".into(),
        ));
    }
    if !on_disk && settings.resume.is_some() && settings.mode != Mode::Disabled {
        return Err(Error::Unsupported(
            "a run writing to a record sink cannot resume (resuming reads earlier run directories); leave `resume` unset".into(),
        ));
    }
    // The run id and the `resume` setting, before anything is written (resume.rs).
    let begin = resume::begin(&mut settings)?;
    let run_id = begin.run_id.clone();
    let resumed = begin.resumed;
    if let Some(r) = &resumed {
        r.merge_config(&mut config);
    }
    // A sweep run: the agent's parameters win over the user's and are
    // locked, as the official `config.merge_locked(..., user="sweep")`.
    let locked = match &settings.sweep_param_path {
        Some(path) => {
            let params = crate::sweep::read_params(path)?;
            for k in params.keys() {
                validate_key(k, false)?;
            }
            crate::sweep::merge_locked(&mut config, params)
        }
        None => Vec::new(),
    };
    let info = RunInfo {
        run_id: run_id.clone(),
        entity: settings.entity.clone().unwrap_or_default(),
        project: settings
            .project
            .clone()
            .unwrap_or_else(|| "uncategorized".into()),
        data_dir: settings.data_dir.clone(),
    };
    // A resumed run's clock starts its earlier runtime ago (resume.rs).
    let (start, shift) = resume::shifted_start(resumed.as_ref());
    let start_time = SystemTime::now();
    let since_epoch = start_time
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .saturating_sub(shift);
    let start_unix_ns = u64::try_from(since_epoch.as_nanos()).unwrap_or(u64::MAX);

    let (settings_name, settings_entity) = (settings.name.clone(), settings.entity.clone());
    if settings.mode == Mode::Disabled {
        let dir = settings
            .root_dir
            .join("wandb")
            .join(format!("disabled-run-{run_id}"));
        return Ok(Run::from_shared(Shared {
            files_dir: dir.join("files"),
            wandb_file: dir.join(format!("run-{run_id}.wandb")),
            dir,
            settings,
            info,
            on_disk,
            queue: None,
            state: Mutex::new(CallerState {
                step: 0,
                finished: false,
            }),
            start,
            dropped_rows: Default::default(),
            config: Mutex::new(config),
            locked,
            summary: Default::default(),
            hooks: Default::default(),
            worker: Default::default(),
            meta: Mutex::new(super::meta::RunMeta::new(settings_name, settings_entity)),
            logs: Default::default(),
            #[cfg(feature = "online")]
            live: Default::default(),
        }));
    }
    let (rd, sink, target): (RunDir, Box<dyn RecordSink>, String) = match sink {
        Some(sink) => (
            run_dir::unmade(&settings.root_dir, settings.mode, &run_id),
            sink,
            "the run's record sink".into(),
        ),
        None => {
            let rd = run_dir::create(&settings.root_dir, settings.mode, &run_id)?;
            let file = File::create(&rd.wandb_file)
                .map_err(|e| Error::io("cannot create the transaction log", &rd.wandb_file, e))?;
            let sink = FileSink::new(file)
                .map_err(|e| Error::io("cannot write the transaction log", &rd.wandb_file, e))?;
            let target = rd.wandb_file.display().to_string();
            (rd, Box::new(sink), target)
        }
    };

    // logs/debug.log and logs/debug-internal.log, only with a run directory.
    let logs = if on_disk {
        crate::diag::RunLogs::open(&rd.dir, settings.api_key.iter().cloned().collect())
    } else {
        crate::diag::RunLogs::default()
    };
    let writer_id = random_writer_id();
    let run_rec = run_record(&settings, &info, &config, start_time, resumed.as_ref())?;
    // A resumed run's stored summary is also written as a summary record:
    // the official tools read the summary from those, not from the run record.
    let resumed_summary = run_rec.summary.clone();
    let (rec_tags, rec_notes) = (run_rec.tags.clone(), run_rec.notes.clone());
    let mut initial = vec![
        RecordType::Header(proto::HeaderRecord {
            version_info: Some(proto::VersionInfo {
                producer: format!("wandb-rs {VERSION}"),
                min_consumer: "0.70.0".into(),
                info: None,
            }),
            info: None,
        }),
        RecordType::Run(run_rec),
    ];
    // A non-primary process (`x_primary = false`) writes no metadata, as
    // the official client: no `environment` record, no requirements.txt.
    if settings.primary {
        initial.push(RecordType::Environment(environment::collect(
            &settings, start_time, &writer_id,
        )));
    }
    initial.push(RecordType::Telemetry(telemetry(
        &settings,
        resumed.is_some(),
    )));
    initial.extend(resumed_summary.map(RecordType::Summary));
    // Online mode: validate the key and start tailing the log (crate::online).
    // The entity of the URLs: the setting or, online, the key's default.
    #[cfg(feature = "online")]
    let settings_entity = settings_entity.or_else(|| {
        begin
            .live
            .as_ref()
            .and_then(|l| l.viewer_entity().map(str::to_owned))
    });
    #[cfg(feature = "online")]
    let live = match begin.live {
        Some(prepared) => {
            if settings.is_shared() {
                // the server tells the writers of a shared run apart by this id
                prepared.set_client_id(&writer_id);
            }
            Some(logs.internal(|| prepared.start(&settings, &rd.dir, &rd.wandb_file))?)
        }
        None => None,
    };
    #[cfg(feature = "online")]
    let on_flush: Option<Box<dyn Fn() + Send>> = live.as_ref().map(|l| {
        let n = l.notifier();
        Box::new(move || n.notify()) as Box<dyn Fn() + Send>
    });
    #[cfg(not(feature = "online"))]
    let on_flush: Option<Box<dyn Fn() + Send>> = None;
    let summary = Arc::new(Mutex::new(
        resumed
            .as_ref()
            .map(|r| r.summary.clone())
            .unwrap_or_default(),
    ));
    let queue = Arc::new(Queue::new(settings.queue_capacity));
    let handle = worker::spawn(
        WorkerSetup {
            writer: sink,
            target,
            files_dir: rd.files.clone(),
            info: info.clone(),
            start_unix_ns,
            flush_interval: settings.flush_interval,
            initial,
            summary_mirror: summary.clone(),
            on_flush,
            dispatch: logs.internal.clone(),
        },
        queue.clone(),
    )
    .map_err(|e| Error::Writer(format!("cannot start the writer thread: {e}")))?;

    let run = Run::from_shared(Shared {
        settings,
        info,
        dir: rd.dir,
        files_dir: rd.files,
        wandb_file: rd.wandb_file,
        on_disk,
        queue: Some(queue),
        state: Mutex::new(CallerState {
            // a resumed run continues after the last stored step
            step: resumed.as_ref().map_or(0, |r| r.starting_step),
            finished: false,
        }),
        start,
        dropped_rows: Default::default(),
        config: Mutex::new(config),
        locked,
        summary,
        hooks: Default::default(),
        worker: Mutex::new(Some(handle)),
        meta: Mutex::new(
            super::meta::RunMeta::new(settings_name, settings_entity)
                .with_tags_notes(rec_tags, rec_notes),
        ),
        logs,
        #[cfg(feature = "online")]
        live: Mutex::new(live),
    });
    if on_disk {
        // As the official client: a run without a resume setting drops a
        // stale `auto` resume file.
        if run.settings().resume.is_none() {
            crate::resume::remove_auto_file(&resume::wandb_dir(run.settings()));
        }
    }
    run.shared().logs.user(|| {
        tracing::info!(run_id = %run.id(), dir = %run.dir().display(), "run initialized");
        tracing::debug!(settings = ?run.settings(), "settings");
        // The header goes out before console capture starts: it is not in output.log.
        run.shared().print_header(resumed.is_some());
    });
    if on_disk {
        // requirements.txt (system/, primary process only), console capture (console/).
        if run.settings().primary {
            run.shared()
                .logs
                .internal(|| crate::system::record_dependencies(&run));
        }
        crate::console::attach(&run);
    }
    // System metrics: `stats` records only.
    run.shared().logs.internal(|| crate::system::attach(&run));
    Ok(run)
}

/// The error of `Mode::Online` in a build without the `online` feature.
fn online_not_compiled() -> Error {
    Error::Unsupported(
        "online mode needs the `online` feature of wandb-core (on by default in the wandb-rs \
         facade); use Mode::Offline and sync later"
            .into(),
    )
}

#[cfg(test)]
mod tests {
    /// The message is checked end to end by tests/error_messages.rs in a
    /// build without `online`; this keeps it checked in every build.
    #[test]
    fn online_not_compiled_says_which_feature_and_what_to_do() {
        assert_eq!(
            super::online_not_compiled().to_string(),
            "unsupported: online mode needs the `online` feature of wandb-core (on by default in \
             the wandb-rs facade); use Mode::Offline and sync later"
        );
    }
}
