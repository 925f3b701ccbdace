use std::collections::HashMap;

use super::*;
use crate::settings::Settings;

fn dist(vars: &[(&str, &str)]) -> Result<Distributed> {
    let m: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Distributed::from_vars(|k| m.get(k).cloned())
}

/// Options with a hermetic environment (no API key: offline by default).
fn base(extra: &[(&str, &str)]) -> InitOptions {
    let mut env = vec![("HOME".to_owned(), "/nonexistent-wandb-home".to_owned())];
    env.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    InitOptions::new().environment(env)
}

fn resolved(d: &Distributed, p: &Policy, o: InitOptions) -> (Settings, crate::Map) {
    let o = d.options(p, o).unwrap();
    (o.resolve().unwrap(), o.take_config().unwrap())
}

#[test]
fn no_launcher_variables_is_a_job_of_one() {
    let d = dist(&[]).unwrap();
    assert_eq!(d, Distributed::single());
    assert_eq!((d.rank(), d.world_size(), d.local_rank()), (0, 1, 0));
    assert!(!d.is_distributed() && d.is_rank_zero());
    // every policy leaves the options alone
    for p in [
        Policy::RankZeroOnly,
        Policy::RunPerRank { group: None },
        Policy::Shared { run_id: None },
    ] {
        let (s, c) = resolved(&d, &p, base(&[]));
        assert_eq!(s.mode, Mode::Offline);
        assert!(s.group.is_none() && s.label.is_none() && s.run_id.is_none() && c.is_empty());
    }
}

#[test]
fn torchrun_variables_are_read() {
    let d = dist(&[("RANK", "3"), ("WORLD_SIZE", "4"), ("LOCAL_RANK", "1")]).unwrap();
    assert_eq!((d.rank(), d.world_size(), d.local_rank()), (3, 4, 1));
    assert!(d.is_distributed() && !d.is_rank_zero());
    assert_eq!(d.label(), "rank_3");
    // LOCAL_RANK unset: the rank
    let d = dist(&[("RANK", "2"), ("WORLD_SIZE", "4")]).unwrap();
    assert_eq!(d.local_rank(), 2);
}

#[test]
fn bad_launcher_variables_name_the_variable() {
    for (vars, name) in [
        (&[("RANK", "x"), ("WORLD_SIZE", "2")][..], "RANK"),
        (&[("RANK", "0"), ("WORLD_SIZE", "-1")][..], "WORLD_SIZE"),
        (&[("RANK", "2"), ("WORLD_SIZE", "2")][..], "RANK"),
        (&[("RANK", "0")][..], "WORLD_SIZE"),
        (&[("WORLD_SIZE", "2")][..], "RANK"),
        (
            &[("RANK", "0"), ("WORLD_SIZE", "2"), ("LOCAL_RANK", "a")][..],
            "LOCAL_RANK",
        ),
    ] {
        match dist(vars) {
            Err(Error::InvalidSetting { name: n, reason }) => {
                assert_eq!(n, name, "{vars:?}: {reason}")
            }
            other => panic!("{vars:?}: {other:?}"),
        }
    }
}

#[test]
fn rank_zero_only_disables_the_other_ranks() {
    let p = Policy::RankZeroOnly;
    let (s0, _) = resolved(
        &dist(&[("RANK", "0"), ("WORLD_SIZE", "2")]).unwrap(),
        &p,
        base(&[]),
    );
    let (s1, _) = resolved(
        &dist(&[("RANK", "1"), ("WORLD_SIZE", "2")]).unwrap(),
        &p,
        base(&[]),
    );
    assert_eq!(s0.mode, Mode::Offline);
    assert_eq!(s1.mode, Mode::Disabled);
}

#[test]
fn run_per_rank_sets_group_job_type_and_config() {
    let d = dist(&[("RANK", "1"), ("WORLD_SIZE", "2"), ("LOCAL_RANK", "0")]).unwrap();
    let p = Policy::RunPerRank {
        group: Some("ddp-1".into()),
    };
    let opts = base(&[]).config(&serde_json::json!({"lr": 0.1}));
    let (s, c) = resolved(&d, &p, opts);
    assert_eq!(s.group.as_deref(), Some("ddp-1"));
    assert_eq!(s.job_type.as_deref(), Some("rank_1"));
    assert!(s.label.is_none() && !s.shared && s.primary);
    let keys: Vec<_> = c.keys().map(String::as_str).collect();
    assert_eq!(keys, ["lr", "rank", "local_rank", "world_size"]);
    assert_eq!(c["rank"], Value::Int(1));
    assert_eq!(c["local_rank"], Value::Int(0));
    assert_eq!(c["world_size"], Value::Int(2));
    // a job type and group of the user's are kept
    let p = Policy::RunPerRank { group: None };
    let (s, _) = resolved(
        &d,
        &p,
        base(&[("WANDB_RUN_GROUP", "mine")]).job_type("worker"),
    );
    assert_eq!(s.group.as_deref(), Some("mine"));
    assert_eq!(s.job_type.as_deref(), Some("worker"));
}

#[test]
fn shared_sets_label_primary_and_finish_state() {
    let p = Policy::Shared {
        run_id: Some("shrd0001".into()),
    };
    for rank in 0..2u32 {
        let r = rank.to_string();
        let d = dist(&[("RANK", &r), ("WORLD_SIZE", "2")]).unwrap();
        // online (an API key): shared mode
        let (s, c) = resolved(&d, &p, base(&[("WANDB_API_KEY", &"k".repeat(40))]));
        assert_eq!(s.run_id.as_deref(), Some("shrd0001"));
        assert_eq!(s.label, Some(format!("rank_{rank}")));
        assert_eq!(s.primary, rank == 0);
        assert_eq!(s.update_finish_state, rank == 0);
        assert!(s.is_shared());
        assert!(c.is_empty(), "no per-rank config keys in a shared run");
        // offline: the same labels, each process its own run directory
        let (s, _) = resolved(&d, &p, base(&[]));
        assert_eq!(s.mode, Mode::Offline);
        assert!(!s.is_shared());
        assert_eq!(s.label, Some(format!("rank_{rank}")));
    }
}

#[test]
fn the_shared_run_id_is_agreed_without_a_server() {
    let p = Policy::Shared { run_id: None };
    // WANDB_RUN_ID in every process
    let d = dist(&[("RANK", "1"), ("WORLD_SIZE", "2")]).unwrap();
    let (s, _) = resolved(&d, &p, base(&[("WANDB_RUN_ID", "abc123")]));
    assert_eq!(s.run_id.as_deref(), Some("abc123"));
    // derived from the launcher's job id: the same in every rank
    let ids: Vec<String> = (0..4)
        .map(|r| {
            let r = r.to_string();
            let d = dist(&[
                ("RANK", &r),
                ("WORLD_SIZE", "4"),
                ("TORCHELASTIC_RUN_ID", "job7"),
            ])
            .unwrap();
            resolved(&d, &p, base(&[])).0.run_id.unwrap()
        })
        .collect();
    assert!(ids.iter().all(|i| *i == ids[0]), "{ids:?}");
    assert_eq!(ids[0].len(), 8);
    // torchrun's default `none` is no job id; SLURM's is the next choice
    let slurm = dist(&[
        ("RANK", "0"),
        ("WORLD_SIZE", "2"),
        ("TORCHELASTIC_RUN_ID", "none"),
        ("SLURM_JOB_ID", "4242"),
    ])
    .unwrap();
    assert_eq!(slurm.job_run_id(), Some(base36_id("SLURM_JOB_ID=4242")));
    assert_ne!(slurm.job_run_id(), Some(ids[0].clone()));
    // nothing to agree on: a clear error
    let d = dist(&[("RANK", "0"), ("WORLD_SIZE", "2")]).unwrap();
    let e = d.options(&p, base(&[])).unwrap_err().to_string();
    assert!(
        e.contains("same in every process") && e.contains("WANDB_RUN_ID"),
        "{e}"
    );
    let e = d
        .options(&Policy::RunPerRank { group: None }, base(&[]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("group"), "{e}");
}

#[test]
fn derived_ids_are_stable() {
    // a fixed value: the derivation must not change between versions
    assert_eq!(base36_id("SLURM_JOB_ID=4242"), "vzp0xg0v");
    let id = base36_id("TORCHELASTIC_RUN_ID=job7");
    assert!(id
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    assert_ne!(id, base36_id("TORCHELASTIC_RUN_ID=job8"));
}
