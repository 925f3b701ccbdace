//! Shared helpers: our events in the JSON form of protobuf's `MessageToDict`
//! (what the official tools print), and fixture paths.
#![allow(dead_code)]

use base64::Engine as _;
use serde_json::{json, Map, Value as J};
use wandb_tensorboard::proto::{self, event, summary, Event};

pub fn fixtures() -> std::path::PathBuf {
    wandb_test_support::fixtures_dir().join("tensorboard")
}

fn b64(b: &[u8]) -> J {
    J::String(base64::engine::general_purpose::STANDARD.encode(b))
}

pub fn f64j(x: f64) -> J {
    if x.is_nan() {
        json!("NaN")
    } else if x.is_infinite() {
        json!(if x > 0.0 { "Infinity" } else { "-Infinity" })
    } else {
        json!(x)
    }
}

fn f32j(x: f32) -> J {
    f64j(f64::from(x))
}

fn put(m: &mut Map<String, J>, k: &str, v: J, keep: bool) {
    if keep {
        m.insert(k.to_owned(), v);
    }
}

fn metadata_json(md: &proto::SummaryMetadata) -> J {
    let mut m = Map::new();
    if let Some(p) = &md.plugin_data {
        let mut pm = Map::new();
        put(
            &mut pm,
            "plugin_name",
            json!(p.plugin_name),
            !p.plugin_name.is_empty(),
        );
        put(&mut pm, "content", b64(&p.content), !p.content.is_empty());
        m.insert("plugin_data".into(), J::Object(pm));
    }
    put(
        &mut m,
        "display_name",
        json!(md.display_name),
        !md.display_name.is_empty(),
    );
    put(
        &mut m,
        "summary_description",
        json!(md.summary_description),
        !md.summary_description.is_empty(),
    );
    if md.data_class != 0 {
        let name = proto::DataClass::try_from(md.data_class)
            .map(|d| d.as_str_name())
            .unwrap_or("?");
        m.insert("data_class".into(), json!(name));
    }
    J::Object(m)
}

fn tensor_json(t: &proto::TensorProto) -> J {
    let mut m = Map::new();
    if t.dtype != 0 {
        let name = proto::DataType::try_from(t.dtype)
            .map(|d| d.as_str_name())
            .unwrap_or("?");
        m.insert("dtype".into(), json!(name));
    }
    if let Some(s) = &t.tensor_shape {
        let mut sm = Map::new();
        if !s.dim.is_empty() {
            let dims: Vec<J> = s
                .dim
                .iter()
                .map(|d| {
                    let mut dm = Map::new();
                    put(&mut dm, "size", json!(d.size.to_string()), d.size != 0);
                    put(&mut dm, "name", json!(d.name), !d.name.is_empty());
                    J::Object(dm)
                })
                .collect();
            sm.insert("dim".into(), J::Array(dims));
        }
        put(&mut sm, "unknown_rank", json!(true), s.unknown_rank);
        m.insert("tensor_shape".into(), J::Object(sm));
    }
    put(
        &mut m,
        "version_number",
        json!(t.version_number),
        t.version_number != 0,
    );
    put(
        &mut m,
        "tensor_content",
        b64(&t.tensor_content),
        !t.tensor_content.is_empty(),
    );
    let list = |v: Vec<J>| J::Array(v);
    put(
        &mut m,
        "half_val",
        list(t.half_val.iter().map(|x| json!(x)).collect()),
        !t.half_val.is_empty(),
    );
    put(
        &mut m,
        "float_val",
        list(t.float_val.iter().map(|&x| f32j(x)).collect()),
        !t.float_val.is_empty(),
    );
    put(
        &mut m,
        "double_val",
        list(t.double_val.iter().map(|&x| f64j(x)).collect()),
        !t.double_val.is_empty(),
    );
    put(
        &mut m,
        "int_val",
        list(t.int_val.iter().map(|x| json!(x)).collect()),
        !t.int_val.is_empty(),
    );
    put(
        &mut m,
        "string_val",
        list(t.string_val.iter().map(|x| b64(x)).collect()),
        !t.string_val.is_empty(),
    );
    put(
        &mut m,
        "int64_val",
        list(t.int64_val.iter().map(|x| json!(x.to_string())).collect()),
        !t.int64_val.is_empty(),
    );
    put(
        &mut m,
        "bool_val",
        list(t.bool_val.iter().map(|x| json!(x)).collect()),
        !t.bool_val.is_empty(),
    );
    put(
        &mut m,
        "uint32_val",
        list(t.uint32_val.iter().map(|x| json!(x)).collect()),
        !t.uint32_val.is_empty(),
    );
    put(
        &mut m,
        "uint64_val",
        list(t.uint64_val.iter().map(|x| json!(x.to_string())).collect()),
        !t.uint64_val.is_empty(),
    );
    J::Object(m)
}

fn value_json(v: &summary::Value) -> J {
    use summary::value::Value as V;
    let mut m = Map::new();
    put(
        &mut m,
        "node_name",
        json!(v.node_name),
        !v.node_name.is_empty(),
    );
    put(&mut m, "tag", json!(v.tag), !v.tag.is_empty());
    if let Some(md) = &v.metadata {
        m.insert("metadata".into(), metadata_json(md));
    }
    match &v.value {
        Some(V::SimpleValue(x)) => put(&mut m, "simple_value", f32j(*x), true),
        Some(V::ObsoleteOldStyleHistogram(b)) => {
            put(&mut m, "obsolete_old_style_histogram", b64(b), true)
        }
        Some(V::Image(i)) => {
            let mut im = Map::new();
            put(&mut im, "height", json!(i.height), i.height != 0);
            put(&mut im, "width", json!(i.width), i.width != 0);
            put(
                &mut im,
                "colorspace",
                json!(i.colorspace),
                i.colorspace != 0,
            );
            put(
                &mut im,
                "encoded_image_string",
                b64(&i.encoded_image_string),
                !i.encoded_image_string.is_empty(),
            );
            m.insert("image".into(), J::Object(im));
        }
        Some(V::Histo(h)) => {
            let mut hm = Map::new();
            for (k, x) in [
                ("min", h.min),
                ("max", h.max),
                ("num", h.num),
                ("sum", h.sum),
                ("sum_squares", h.sum_squares),
            ] {
                put(&mut hm, k, f64j(x), x != 0.0);
            }
            put(
                &mut hm,
                "bucket_limit",
                J::Array(h.bucket_limit.iter().map(|&x| f64j(x)).collect()),
                !h.bucket_limit.is_empty(),
            );
            put(
                &mut hm,
                "bucket",
                J::Array(h.bucket.iter().map(|&x| f64j(x)).collect()),
                !h.bucket.is_empty(),
            );
            m.insert("histo".into(), J::Object(hm));
        }
        Some(V::Audio(_)) => put(&mut m, "audio", json!("<audio>"), true),
        Some(V::Tensor(t)) => put(&mut m, "tensor", tensor_json(t), true),
        None => {}
    }
    J::Object(m)
}

/// `MessageToDict(event, preserving_proto_field_name=True)` of our decoded event.
pub fn event_json(e: &Event) -> J {
    let mut m = Map::new();
    put(&mut m, "wall_time", f64j(e.wall_time), e.wall_time != 0.0);
    put(&mut m, "step", json!(e.step.to_string()), e.step != 0);
    match &e.what {
        Some(event::What::FileVersion(s)) => put(&mut m, "file_version", json!(s), true),
        Some(event::What::GraphDef(b)) => put(&mut m, "graph_def", b64(b), true),
        Some(event::What::MetaGraphDef(b)) => put(&mut m, "meta_graph_def", b64(b), true),
        Some(event::What::Summary(s)) => {
            let mut sm = Map::new();
            if !s.value.is_empty() {
                sm.insert(
                    "value".into(),
                    J::Array(s.value.iter().map(value_json).collect()),
                );
            }
            m.insert("summary".into(), J::Object(sm));
        }
        None => {}
    }
    if let Some(s) = &e.source_metadata {
        let mut sm = Map::new();
        put(&mut sm, "writer", json!(s.writer), !s.writer.is_empty());
        m.insert("source_metadata".into(), J::Object(sm));
    }
    J::Object(m)
}

/// The official dump with float32 fields rounded to f32 (MessageToDict
/// prints them with few digits; the f32 they denote is what we compare).
pub fn normalize_dump(v: &J) -> J {
    fn go(v: &J, f32_field: bool) -> J {
        match v {
            J::Number(n) if f32_field => f64j(f64::from(n.as_f64().unwrap_or(f64::NAN) as f32)),
            J::Array(a) => J::Array(a.iter().map(|x| go(x, f32_field)).collect()),
            J::Object(o) => J::Object(
                o.iter()
                    .map(|(k, x)| {
                        (
                            k.clone(),
                            go(
                                x,
                                matches!(
                                    k.as_str(),
                                    "simple_value" | "float_val" | "scomplex_val" | "sample_rate"
                                ),
                            ),
                        )
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    go(v, false)
}
