//! The read API never panics on what a server answers: a tiny HTTP server
//! answers `Run` with a valid run and every other query with one of many
//! malformed bodies; each read ends in a typed error (or an empty result),
//! never a panic or a hang.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use wandb_core::online::{Api, OnlineError};

const KEY: &str = "fake0000000000000000000000000000000000000key";

const VALID_RUN: &str = r#"{"data":{"project":{"run":{"id":"UnVuOjE=","name":"r","state":"finished","config":"{\"lr\":{\"value\":0.1}}","summaryMetrics":"{\"x\":NaN}","tags":["a"]}}}}"#;

/// Serves `Run` with [`VALID_RUN`] and everything else with `*body`.
fn serve(body: Arc<Mutex<String>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut len = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut req = vec![0; len];
            let _ = reader.read_exact(&mut req);
            let req = String::from_utf8_lossy(&req);
            let answer = if req.contains("\"operationName\":\"Run\"") {
                VALID_RUN.to_string()
            } else {
                body.lock().unwrap().clone()
            };
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    url
}

#[test]
fn malformed_answers_are_typed_errors() {
    let body = Arc::new(Mutex::new(String::new()));
    let url = serve(body.clone());
    let api = Api::new(&url, KEY)
        .unwrap()
        .with_timeout(std::time::Duration::from_secs(5));
    let run = api.run("e/p/r").unwrap();
    assert_eq!(run.config()["lr"], wandb_core::Value::Float(0.1));
    assert!(run.summary()["x"].as_f64().unwrap().is_nan());

    let bodies = [
        "",
        "not json",
        "[]",
        "{}",
        r#"{"data":null}"#,
        r#"{"errors":[{"message":"boom"}]}"#,
        r#"{"data":{"project":null}}"#,
        r#"{"data":{"project":{"run":null}}}"#,
        r#"{"data":{"project":{"run":5}}}"#,
        r#"{"data":{"project":{"run":{}}}}"#,
        r#"{"data":{"project":{"run":{"history":"x","sampledHistory":[5],"historyKeys":"{","files":[]}}}}"#,
        r#"{"data":{"project":{"run":{"history":[1,"{",null],"sampledHistory":[[1]],"historyKeys":{"lastStep":"x"},"files":{"edges":[{"node":{"name":5}}]}}}}}"#,
        r#"{"data":{"project":{"run":{"history":["[1]"],"historyKeys":{"lastStep":3},"files":{"edges":[{}]}}}}}"#,
        r#"{"data":{"project":{"run":{"history":["{\"_step\":0}"],"historyKeys":{"lastStep":9223372036854775807},"files":{"edges":[],"pageInfo":{"hasNextPage":true,"endCursor":null}}}}}}"#,
        r#"{"data":{"project":{"runCount":-1,"runs":{"edges":[{"node":{"name":1}}]}}}}"#,
        r#"{"data":{"project":{"runs":{"edges":[{"node":{"name":"x","config":"[]"}}],"pageInfo":{"hasNextPage":true,"endCursor":"c"}}}}}"#,
        r#"{"data":{"project":{"runs":{"edges":[],"pageInfo":{"hasNextPage":true,"endCursor":"c"}}}}}"#,
    ];
    for b in bodies {
        *body.lock().unwrap() = b.to_string();
        let _ = run.history(&[], 10);
        let _ = run.history(&["a"], 10);
        if let Ok(scan) = run.scan_history(&[], 1_000_000) {
            // a huge lastStep with one row per page must not loop forever:
            // take a bounded number of items
            let _: Vec<_> = scan.take(5).collect();
        }
        if let Ok(scan) = run.scan_history(&["a"], 3) {
            let _: Vec<_> = scan.take(5).collect();
        }
        match run.files() {
            Ok(files) => {
                for f in files {
                    let dir = tempfile::tempdir().unwrap();
                    let _ = f.download(dir.path(), false);
                }
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
        if let Ok(runs) = api.runs("e/p", None) {
            let _: Vec<_> = runs.take(5).collect();
        }
    }

    // one of them, checked precisely
    *body.lock().unwrap() = r#"{"data":{"project":{"run":{"history":"x"}}}}"#.into();
    let err = run.history(&[], 10).unwrap_err();
    assert!(
        matches!(err, OnlineError::UnexpectedAnswer { ref op, .. } if op == "RunFullHistory"),
        "{err}"
    );
    *body.lock().unwrap() = r#"{"data":{"project":{"run":null}}}"#.into();
    assert!(matches!(run.files(), Err(OnlineError::RunNotFound { .. })));
}

#[test]
fn malformed_artifact_answers_are_typed_errors() {
    let body = Arc::new(Mutex::new(String::new()));
    let url = serve(body.clone());
    let api = Api::new(&url, KEY)
        .unwrap()
        .with_timeout(std::time::Duration::from_secs(5));
    let run = api.run("e/p/r").unwrap();
    let node = r#"{"id":"QXJ0OjE=","versionIndex":0,"digest":"d","artifactType":{"name":"t"},"artifactSequence":{"name":"c","project":{"name":"p","entity":{"name":"e"}}}}"#;
    let bodies = [
        "".to_string(),
        "not json".into(),
        r#"{"data":null}"#.into(),
        r#"{"data":{"project":null}}"#.into(),
        r#"{"data":{"project":{"artifactCollectionMembership":5}}}"#.into(),
        r#"{"data":{"project":{"artifactCollectionMembership":{}}}}"#.into(),
        r#"{"data":{"project":{"artifactCollectionMembership":{"artifact":{}}}}}"#.into(),
        r#"{"data":{"project":{"artifactCollectionMembership":{"artifact":{"id":"x"}}}}}"#.into(),
        format!(
            r#"{{"data":{{"project":{{"artifactCollectionMembership":{{"aliases":5,"artifact":{}}}}}}}}}"#,
            node.replace("\"digest\"", "\"metadata\":\"[1]\",\"digest\"")
        ),
        format!(
            r#"{{"data":{{"project":{{"artifactCollectionMembership":{{"aliases":[{{"alias":7}}],"artifact":{node}}}}}}}}}"#
        ),
        r#"{"data":{"project":{"run":{"artifacts":{"edges":5}}}}}"#.into(),
        format!(
            r#"{{"data":{{"project":{{"run":{{"artifacts":{{"edges":[{{"node":{node}}},{{"node":null}}],"pageInfo":{{"hasNextPage":true,"endCursor":"c"}}}}}}}}}}}}"#
        ),
        format!(
            r#"{{"data":{{"project":{{"artifactType":{{"artifactCollection":{{"artifacts":{{"edges":[{{"version":5,"node":{node}}}],"pageInfo":{{"hasNextPage":true,"endCursor":"c"}}}}}}}}}}}}}}"#
        ),
        // a membership whose manifest (this same body) lists a path that
        // would leave the download root, and a file with no URL
        format!(
            r#"{{"data":{{"project":{{"artifactCollectionMembership":{{"artifact":{node}}}}},"artifact":{{"currentManifest":{{"file":{{"directUrl":"{url}/m"}}}}}}}},"contents":{{"../evil":{{"digest":"1B2M2Y8AsgTpgAmY7PhCfg=="}}}}}}"#
        ),
        format!(
            r#"{{"data":{{"project":{{"artifactCollectionMembership":{{"artifact":{node}}}}},"artifact":{{"currentManifest":{{"file":{{"directUrl":"{url}/m"}}}}}}}},"contents":{{"ok.txt":{{"digest":"not b64"}},"z":{{"digest":"1B2M2Y8AsgTpgAmY7PhCfg=="}}}}}}"#
        ),
    ];
    for b in bodies {
        *body.lock().unwrap() = b.clone();
        let cache = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        match api.artifact("e/p/c:v0") {
            Ok(a) => {
                assert_eq!(a.version, "v0", "{b}");
                let _ = a.manifest();
                let err = a
                    .download_with_cache(root.path(), cache.path())
                    .unwrap_err();
                assert!(!err.to_string().is_empty());
                assert!(!cache.path().join("../evil").exists());
            }
            Err(e) => assert!(!e.to_string().is_empty(), "{b}"),
        }
        let _ = run.logged_artifacts();
        let _ = run.used_artifacts();
        let _ = api.artifacts("t", "e/p/c");
    }

    // one of them, checked precisely
    *body.lock().unwrap() = r#"{"data":{"project":{"artifactCollectionMembership":null}}}"#.into();
    let err = api.artifact("e/p/c:best").unwrap_err();
    assert!(
        matches!(err, OnlineError::ArtifactNotFound { ref reference } if reference == "e/p/c:best"),
        "{err}"
    );
    *body.lock().unwrap() = r#"{"data":{"project":{"run":null}}}"#.into();
    assert!(matches!(
        run.logged_artifacts(),
        Err(OnlineError::RunNotFound { .. })
    ));
}
