//! `bench-tools report`: one run's fragments (one JSON file per wrk run, start-up times, seeding
//! times, notes) become one JSON document and a table on standard output.
//!
//! Layout of the run directory, as bench/run writes it:
//!
//! - `wrk/SIDE.WORKLOAD.json`: the summary bench/wrk/common.lua writes after each wrk run;
//! - `ready/SIDE.LABEL.txt`: start-up times in milliseconds, one per line;
//! - `seed/SIDE.LABEL.json`: what `bench-tools seed` reported;
//! - `notes.txt`: one line per thing the reader should know (a side skipped, and why).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::{Map, Value, json};

#[derive(clap::Args)]
pub struct ReportArgs {
    /// The run directory.
    #[arg(long)]
    dir: PathBuf,
    /// Where the JSON document goes.
    #[arg(long)]
    out: PathBuf,
    /// `key=value` facts about the run and the machine, in order.
    #[arg(long = "meta", value_parser = parse_pair)]
    meta: Vec<(String, String)>,
}

fn parse_pair(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("'{text}' is not key=value"))
}

/// The sides, in table order: the two stores of crm-profiles, then what they are compared with.
const SIDES: [&str; 4] = ["sqlite", "postgres", "ceiling", "prism"];
const SERVERS: [&str; 2] = ["sqlite", "postgres"];

struct Workload {
    id: &'static str,
    title: &'static str,
    /// The ceiling run this workload is compared with.
    ceiling: &'static str,
}

const WORKLOADS: [Workload; 8] = [
    Workload { id: "list", title: "(a) list profiles, 64 connections", ceiling: "list" },
    Workload {
        id: "get",
        title: "(b) get Administrator (861 permissions), 64 connections",
        ceiling: "get",
    },
    Workload {
        id: "clone_delete_32",
        title: "(c) clone Standard then delete the clone, 32 clients, an org each",
        ceiling: "clone_delete_32",
    },
    Workload {
        id: "clone_delete_64",
        title: "(c) the same with 64 clients",
        ceiling: "clone_delete_64",
    },
    Workload {
        id: "mix",
        title: "(d) 90/10 read/write over 1,000 orgs, 64 connections",
        ceiling: "mix",
    },
    Workload {
        id: "list_c1_orgs_1",
        title: "(f) list, 1 connection, database of 1 org",
        ceiling: "list_c1",
    },
    Workload {
        id: "list_c1_orgs_100000_before_analyze",
        title: "(f) list, 1 connection, 100,000 orgs just loaded, before ANALYZE (PostgreSQL)",
        ceiling: "list_c1",
    },
    Workload {
        id: "list_c1_orgs_100000",
        title: "(f) list, 1 connection, database of 100,000 orgs",
        ceiling: "list_c1",
    },
];

pub fn run(args: &ReportArgs) -> anyhow::Result<()> {
    let runs = read_runs(&args.dir.join("wrk"))?;
    let ready = read_ready(&args.dir.join("ready"))?;
    let seeding = read_seeding(&args.dir.join("seed"))?;
    let notes: Vec<String> = std::fs::read_to_string(args.dir.join("notes.txt"))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect();

    let get = |side: &str, workload: &str| runs.get(&(side.to_owned(), workload.to_owned()));
    let rps =
        |side: &str, workload: &str| get(side, workload).and_then(|r| r["requests_per_s"].as_f64());

    let mut workloads = Vec::new();
    for w in &WORKLOADS {
        let mut results = Map::new();
        for side in SIDES {
            let run = if side == "ceiling" { get(side, w.ceiling) } else { get(side, w.id) };
            if let Some(run) = run {
                results.insert(side.to_owned(), run.clone());
            }
        }
        let mut ratios = Map::new();
        for side in SERVERS {
            if let (Some(ours), Some(ceiling)) = (rps(side, w.id), rps("ceiling", w.ceiling)) {
                ratios.insert(format!("{side}/ceiling"), json!(round(ours / ceiling, 3)));
            }
            if let (Some(ours), Some(prism)) = (rps(side, w.id), rps("prism", w.id)) {
                ratios.insert(format!("{side}/prism"), json!(round(ours / prism, 2)));
            }
        }
        if results.is_empty() {
            continue;
        }
        workloads.push(json!({
            "id": w.id,
            "title": w.title,
            "results": results,
            "requests_per_s_ratios": ratios,
        }));
    }

    let mut ready_out = Map::new();
    for ((side, label), samples) in &ready {
        let entry = ready_out.entry(side.clone()).or_insert_with(|| json!({}));
        entry[label] = json!({
            "samples_ms": samples,
            "median_ms": median(samples),
            "max_ms": samples.iter().copied().fold(f64::NAN, f64::max),
        });
    }

    let mut scaling = Map::new();
    for side in SERVERS {
        let (Some(one), Some(many)) =
            (get(side, "list_c1_orgs_1"), get(side, "list_c1_orgs_100000"))
        else {
            continue;
        };
        let mean = |r: &Value| r["latency_ms"]["mean"].as_f64();
        let p50 = |r: &Value| r["latency_ms"]["p50"].as_f64();
        scaling.insert(
            side.to_owned(),
            json!({
                "orgs_1": { "requests_per_s": one["requests_per_s"], "latency_ms": one["latency_ms"] },
                "orgs_100000": { "requests_per_s": many["requests_per_s"], "latency_ms": many["latency_ms"] },
                "cost_ratio_mean_latency": ratio(mean(many), mean(one)),
                "cost_ratio_p50_latency": ratio(p50(many), p50(one)),
                "before_analyze": get(side, "list_c1_orgs_100000_before_analyze").map(|r| json!({
                    "requests_per_s": r["requests_per_s"],
                    "latency_ms": r["latency_ms"],
                    "cost_ratio_mean_latency": ratio(mean(r), mean(one)),
                })),
            }),
        );
    }

    let targets = targets(&runs, &ready, &scaling);

    let mut meta = Map::new();
    for (key, value) in &args.meta {
        meta.insert(key.clone(), json!(value));
    }
    let document = json!({
        "run": meta,
        "workloads": workloads,
        "ready_ms": ready_out,
        "org_scaling": scaling,
        "seeding": seeding,
        "targets": targets,
        "notes": notes,
    });
    std::fs::write(&args.out, serde_json::to_string_pretty(&document)? + "\n")
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    print!("{}", table(&document));
    Ok(())
}

fn read_runs(dir: &Path) -> anyhow::Result<BTreeMap<(String, String), Value>> {
    let mut runs = BTreeMap::new();
    for (stem, path) in files(dir, "json")? {
        let Some((side, workload)) = stem.split_once('.') else { continue };
        let text = std::fs::read_to_string(&path)?;
        let value: Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not JSON", path.display()))?;
        runs.insert((side.to_owned(), workload.to_owned()), value);
    }
    Ok(runs)
}

fn read_ready(dir: &Path) -> anyhow::Result<BTreeMap<(String, String), Vec<f64>>> {
    let mut ready = BTreeMap::new();
    for (stem, path) in files(dir, "txt")? {
        let Some((side, label)) = stem.split_once('.') else { continue };
        let samples: Vec<f64> =
            std::fs::read_to_string(&path)?.lines().filter_map(|l| l.trim().parse().ok()).collect();
        ready.insert((side.to_owned(), label.to_owned()), samples);
    }
    Ok(ready)
}

fn read_seeding(dir: &Path) -> anyhow::Result<Value> {
    let mut out = Map::new();
    for (stem, path) in files(dir, "json")? {
        let value: Value = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
        out.insert(stem, value);
    }
    Ok(Value::Object(out))
}

/// `(file stem, path)` of the files of `dir` ending in `.ext`, sorted; none if `dir` is missing.
fn files(dir: &Path, ext: &str) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(Vec::new()) };
    let mut found = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) == Some(ext)
            && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
        {
            found.push((stem.to_owned(), path.clone()));
        }
    }
    found.sort();
    Ok(found)
}

fn median(samples: &[f64]) -> Option<f64> {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

fn ratio(a: Option<f64>, b: Option<f64>) -> Value {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => json!(round(a / b, 3)),
        _ => Value::Null,
    }
}

fn round(value: f64, digits: i32) -> f64 {
    let factor = 10f64.powi(digits);
    (value * factor).round() / factor
}

/// Each target of issue #6, per crm-profiles side, with what was measured and whether it holds.
fn targets(
    runs: &BTreeMap<(String, String), Value>,
    ready: &BTreeMap<(String, String), Vec<f64>>,
    scaling: &Map<String, Value>,
) -> Vec<Value> {
    let get = |side: &str, workload: &str| runs.get(&(side.to_owned(), workload.to_owned()));
    let rps =
        |side: &str, workload: &str| get(side, workload).and_then(|r| r["requests_per_s"].as_f64());
    let mut out = Vec::new();
    let mut push = |target: &str, side: &str, measured: Option<f64>, unit: &str, met: bool| {
        out.push(json!({
            "target": target,
            "side": side,
            "measured": measured.map(|m| round(m, 3)),
            "unit": unit,
            "met": measured.map(|_| met),
        }));
    };
    for side in SERVERS {
        if !runs.keys().any(|(s, _)| s == side) {
            continue;
        }
        let share = |workload: &str| match (rps(side, workload), rps("ceiling", workload)) {
            (Some(a), Some(b)) if b > 0.0 => Some(a / b),
            _ => None,
        };
        let list = share("list");
        push(
            "list >= 50 % of the ceiling",
            side,
            list,
            "x ceiling",
            list.is_some_and(|r| r >= 0.5),
        );
        let get_share = share("get");
        let met = get_share.is_some_and(|r| r >= 0.3);
        push("get >= 30 % of the ceiling", side, get_share, "x ceiling", met);

        let pairs =
            get(side, "clone_delete_32").and_then(|r| r["ops"]["delete"]["ok_per_s"].as_f64());
        let met = pairs.is_some_and(|p| p >= 2000.0);
        let target = if side == "sqlite" {
            "clone-then-delete >= 2,000 durable clones/s (SQLite, 32 clients)"
        } else {
            "clone-then-delete, 32 clients (target set for SQLite; shown for reference)"
        };
        push(target, side, pairs, "pairs/s", met);

        for workload in ["list", "get"] {
            let p99 = get(side, workload).and_then(|r| r["latency_ms"]["p99"].as_f64());
            let target = format!("p99 <= 5 ms for reads at 64 connections ({workload})");
            push(&target, side, p99, "ms", p99.is_some_and(|p| p <= 5.0));
        }
        let mix_reads = get(side, "mix").and_then(|r| {
            let ops = &r["ops"];
            let worst = [ops["list"]["p99_ms"].as_f64(), ops["get"]["p99_ms"].as_f64()];
            worst.into_iter().flatten().reduce(f64::max)
        });
        let target = "p99 <= 5 ms for reads at 64 connections (reads of the mix)";
        push(target, side, mix_reads, "ms", mix_reads.is_some_and(|p| p <= 5.0));
        let clone_p99 =
            get(side, "clone_delete_64").and_then(|r| r["ops"]["clone"]["p99_ms"].as_f64());
        let target = "p99 <= 25 ms for clones at 64 connections (clone-then-delete, 64 clients)";
        push(target, side, clone_p99, "ms", clone_p99.is_some_and(|p| p <= 25.0));
        let mix_clone = get(side, "mix").and_then(|r| r["ops"]["clone"]["p99_ms"].as_f64());
        let target = "p99 <= 25 ms for clones at 64 connections (clones of the mix)";
        push(target, side, mix_clone, "ms", mix_clone.is_some_and(|p| p <= 25.0));

        for label in ["empty", "orgs_10000"] {
            let samples = ready.get(&(side.to_owned(), label.to_owned()));
            let median = samples.and_then(|s| median(s));
            let target = format!("ready <= 100 ms ({label}, median)");
            push(&target, side, median, "ms", median.is_some_and(|m| m <= 100.0));
        }

        let peak_kb = runs
            .iter()
            .filter(|((s, _), _)| s == side)
            .filter_map(|(_, r)| r["peak_memory_kb"].as_f64())
            .reduce(f64::max);
        let peak_mib = peak_kb.map(|kb| kb / 1024.0);
        let target = "peak memory <= 64 MiB (largest VmHWM over the workloads)";
        push(target, side, peak_mib, "MiB", peak_mib.is_some_and(|m| m <= 64.0));

        let cost = scaling.get(side).and_then(|s| s["cost_ratio_mean_latency"].as_f64());
        let target = "100,000 orgs cost <= 1.2 x one org (mean latency, 1 connection)";
        push(target, side, cost, "x", cost.is_some_and(|c| c <= 1.2));
    }
    out
}

fn table(document: &Value) -> String {
    let mut out = String::new();
    let h = [
        "workload", "side", "req/s", "p50 ms", "p99 ms", "errors", "peak MiB", "/ceiling",
        "/prism", "notes",
    ];
    let _ = writeln!(
        out,
        "\n{:<20} {:<9} {:>10} {:>8} {:>8} {:>7} {:>8} {:>8} {:>8}  {}",
        h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9]
    );
    for w in document["workloads"].as_array().into_iter().flatten() {
        let id = w["id"].as_str().unwrap_or("");
        for side in SIDES {
            let r = &w["results"][side];
            if r.is_null() {
                continue;
            }
            let num = |v: &Value, digits: usize| {
                v.as_f64().map_or("-".to_owned(), |x| format!("{x:.digits$}"))
            };
            let peak = r["peak_memory_kb"]
                .as_f64()
                .map_or("-".to_owned(), |kb| format!("{:.1}", kb / 1024.0));
            let ratios = &w["requests_per_s_ratios"];
            let vs = |other: &str| num(&ratios[format!("{side}/{other}")], 2);
            let mut notes = Vec::new();
            for (name, op) in r["ops"].as_object().into_iter().flatten() {
                if id.starts_with("clone_delete") || !matches!(name.as_str(), "list" | "get") {
                    notes.push(format!(
                        "{name} {}/s p99 {} ms",
                        num(&op["ok_per_s"], 0),
                        num(&op["p99_ms"], 1)
                    ));
                } else {
                    notes.push(format!("{name} p99 {} ms", num(&op["p99_ms"], 1)));
                }
            }
            let _ = writeln!(
                out,
                "{:<20} {:<9} {:>10} {:>8} {:>8} {:>7} {:>8} {:>8} {:>8}  {}",
                id,
                side,
                num(&r["requests_per_s"], 0),
                num(&r["latency_ms"]["p50"], 2),
                num(&r["latency_ms"]["p99"], 2),
                num(&r["errors"], 0),
                peak,
                vs("ceiling"),
                vs("prism"),
                notes.join("; ")
            );
        }
    }
    let _ = writeln!(out, "\nstart-up (first 200 from /health), ms:");
    for (side, labels) in document["ready_ms"].as_object().into_iter().flatten() {
        for (label, r) in labels.as_object().into_iter().flatten() {
            let _ = writeln!(
                out,
                "  {side:<9} {label:<12} median {:>7.1}  max {:>7.1}  samples {}",
                r["median_ms"].as_f64().unwrap_or(f64::NAN),
                r["max_ms"].as_f64().unwrap_or(f64::NAN),
                r["samples_ms"]
            );
        }
    }
    let _ = writeln!(out, "\ntargets:");
    for t in document["targets"].as_array().into_iter().flatten() {
        let verdict = match t["met"].as_bool() {
            Some(true) => "met   ",
            Some(false) => "MISSED",
            None => "n/a   ",
        };
        let _ = writeln!(
            out,
            "  {verdict} {:<9} {:<78} {} {}",
            t["side"].as_str().unwrap_or(""),
            t["target"].as_str().unwrap_or(""),
            t["measured"],
            t["unit"].as_str().unwrap_or("")
        );
    }
    for note in document["notes"].as_array().into_iter().flatten() {
        let _ = writeln!(out, "note: {}", note.as_str().unwrap_or(""));
    }
    out
}
