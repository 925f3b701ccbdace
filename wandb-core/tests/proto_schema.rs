//! Our `.proto` against the official descriptors installed with the pinned
//! `wandb==0.31.0` package: every message and field we declare must exist
//! there with the same number, type, label and message/enum type.

use std::collections::HashMap;

use prost::Message;
use prost_types::{DescriptorProto, FileDescriptorSet};
use wandb_test_support::{oracle_python_run, ScratchDir};

const DUMP: &str = r#"
import sys
from google.protobuf import descriptor_pb2
from wandb.proto.v7 import wandb_internal_pb2, wandb_base_pb2, wandb_telemetry_pb2
fds = descriptor_pb2.FileDescriptorSet()
for mod in (wandb_base_pb2, wandb_telemetry_pb2, wandb_internal_pb2):
    fdp = descriptor_pb2.FileDescriptorProto()
    mod.DESCRIPTOR.CopyToProto(fdp)
    fds.file.append(fdp)
open(sys.argv[1], "wb").write(fds.SerializeToString())
"#;

fn messages(fds: &FileDescriptorSet) -> HashMap<String, DescriptorProto> {
    fn walk(prefix: &str, msgs: &[DescriptorProto], out: &mut HashMap<String, DescriptorProto>) {
        for m in msgs {
            let name = format!("{prefix}.{}", m.name());
            walk(&name, &m.nested_type, out);
            out.insert(name, m.clone());
        }
    }
    let mut out = HashMap::new();
    for f in &fds.file {
        walk(&format!(".{}", f.package()), &f.message_type, &mut out);
    }
    out
}

#[test]
fn our_fields_equal_the_official_schema() {
    let scratch = ScratchDir::new("proto");
    let path = scratch.path().join("official.fds");
    oracle_python_run(DUMP, &[path.to_str().unwrap()], scratch.path());
    let official = FileDescriptorSet::decode(std::fs::read(&path).unwrap().as_slice()).unwrap();
    let ours = FileDescriptorSet::decode(wandb_core::proto::FILE_DESCRIPTOR_SET).unwrap();
    let official = messages(&official);
    let ours = messages(&ours);
    let mut checked = 0;
    let mut problems = Vec::new();
    for (name, msg) in &ours {
        if !name.starts_with(".wandb_internal.") {
            continue;
        }
        let Some(theirs) = official.get(name) else {
            problems.push(format!("{name}: no such official message"));
            continue;
        };
        for f in &msg.field {
            let Some(g) = theirs.field.iter().find(|g| g.name() == f.name()) else {
                problems.push(format!("{name}.{}: no such official field", f.name()));
                continue;
            };
            checked += 1;
            if (f.number(), f.r#type(), f.label(), f.type_name())
                != (g.number(), g.r#type(), g.label(), g.type_name())
            {
                problems.push(format!(
                    "{name}.{}: ours #{} {:?} {:?} {} / official #{} {:?} {:?} {}",
                    f.name(),
                    f.number(),
                    f.r#type(),
                    f.label(),
                    f.type_name(),
                    g.number(),
                    g.r#type(),
                    g.label(),
                    g.type_name()
                ));
            }
            if f.proto3_optional() != g.proto3_optional() {
                problems.push(format!("{name}.{}: proto3 optional differs", f.name()));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "schema mismatches:\n{}",
        problems.join("\n")
    );
    assert!(checked > 200, "only {checked} fields compared");
}
