//! `WandbCallback::stop_on_request`: a run stopped on the (fake) W&B server
//! ends training cleanly at the end of an epoch, and the run finishes.

use std::time::Duration;

use wandb_callbacks::{
    fit, BoxError, Metrics, TrainState, TrainTask, WandbCallback, STOPPED_FROM_WANDB,
};
use wandb_core::{Console, InitOptions, Mode};
use wandb_fake_server::FakeServer;

/// 3 batches per epoch, 5 ms each; the server stops the run after epoch 2.
struct Slow<'a> {
    left: usize,
    server: &'a FakeServer,
}

impl TrainTask for Slow<'_> {
    type Batch = ();
    fn begin_epoch(&mut self, state: &TrainState) -> Result<(), BoxError> {
        self.left = 3;
        if state.epoch == 2 {
            self.server.stop_run("me", "proj", "stopcb");
        }
        Ok(())
    }
    fn next_batch(&mut self, _: &TrainState) -> Option<()> {
        (self.left > 0).then(|| self.left -= 1)
    }
    fn train_step(&mut self, _: (), _: &mut TrainState) -> Result<Metrics, BoxError> {
        std::thread::sleep(Duration::from_millis(5));
        Ok(Metrics::from([("loss".to_owned(), 1.0)]))
    }
}

#[test]
fn a_run_stopped_from_the_ui_stops_training_at_an_epoch_end() {
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let run = wandb_core::init(
        InitOptions::new()
            .dir(tmp.path())
            .mode(Mode::Online)
            .project("proj")
            .entity("me")
            .id("stopcb")
            .console(Console::Off)
            .system_metrics(false)
            .quiet(true)
            .environment([
                ("HOME", tmp.path().join("home").display().to_string()),
                ("WANDB_API_KEY", server.api_key().to_string()),
                ("WANDB_BASE_URL", server.url().to_string()),
                ("WANDB_X_FILE_STREAM_TRANSMIT_INTERVAL", "60".to_string()),
                ("WANDB_X_STOP_POLL_INTERVAL", "0.01".to_string()),
            ]),
    )
    .unwrap();
    let mut cb = WandbCallback::new(&run).stop_on_request(true);
    let mut task = Slow {
        left: 0,
        server: &server,
    };
    let report = fit(&mut task, 10_000, &mut cb).unwrap();
    assert_eq!(report.stopped_early.as_deref(), Some(STOPPED_FROM_WANDB));
    assert!(
        report.epochs_run >= 3 && report.epochs_run < 10_000,
        "{report:?}"
    );
    assert!(run.stop_requested());
    run.finish().unwrap();
    assert_eq!(
        server.run("me", "proj", "stopcb").unwrap().state(),
        "finished"
    );
}
