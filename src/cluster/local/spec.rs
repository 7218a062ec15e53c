//! The command line of `--local-cluster`: the spec (`shards=3,replicas=1,...`), `--dir`, the
//! directives passed on to every node, and how the slots are split among the primaries.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

/// Number of hash slots split among the primaries.
const SLOTS: usize = 16384;
/// Upper bounds of a spec, so a typo cannot start thousands of processes.
const MAX_SHARDS: usize = 100;
const MAX_REPLICAS: usize = 10;
const MAX_NODES: usize = 100;
/// Directives the launcher sets itself, per node; refused after the spec.
const RESERVED: [&str; 7] = [
    "port",
    "bind",
    "dir",
    "cluster-enabled",
    "cluster-config-file",
    "cluster-port",
    "daemonize",
];

/// The usage line printed with a bad command line.
pub const USAGE: &str = "Usage: shoal-server --local-cluster \
    [shards=3,replicas=1,base-port=7000,bind=127.0.0.1] [--dir DIR] [--directive value ...]";

/// The shape of a local cluster, from the spec string of `--local-cluster`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// Number of primaries (1 ..= 100).
    pub shards: usize,
    /// Replicas per primary (0 ..= 10).
    pub replicas: usize,
    /// Port of the first node; node `i` listens on `base_port + i`, its bus on that + 10000.
    pub base_port: u16,
    /// The address every node binds and announces (not 0.0.0.0 or ::).
    pub bind: IpAddr,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            shards: 3,
            replicas: 1,
            base_port: 7000,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
        }
    }
}

impl Spec {
    /// Parses `shards=3,replicas=1,base-port=7000,bind=127.0.0.1` (any subset, any order; `ip` is
    /// a synonym of `bind`; the empty string gives the defaults). Errors name the bad item: an
    /// unknown or repeated key, a missing `=`, a number out of range, more than 100 nodes, or
    /// ports past 65535 once the bus offset (+10000) is added.
    pub fn parse(text: &str) -> Result<Spec, String> {
        let mut spec = Spec::default();
        let mut seen: Vec<&str> = Vec::new();
        for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let Some((key, value)) = item.split_once('=') else {
                return Err(format!("\"{item}\" is not key=value (as in shards=3)"));
            };
            let (key, value) = (key.trim(), value.trim());
            let canonical = if key == "ip" { "bind" } else { key };
            if seen.contains(&canonical) {
                return Err(format!("{key} is given twice"));
            }
            seen.push(canonical);
            let number = |lo: usize, hi: usize| -> Result<usize, String> {
                value
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (lo..=hi).contains(n))
                    .ok_or_else(|| {
                        format!("{key} must be an integer from {lo} to {hi}, got \"{value}\"")
                    })
            };
            match canonical {
                "shards" => spec.shards = number(1, MAX_SHARDS)?,
                "replicas" => spec.replicas = number(0, MAX_REPLICAS)?,
                "base-port" => spec.base_port = number(1, 65535)? as u16,
                "bind" => {
                    spec.bind = value
                        .parse::<IpAddr>()
                        .ok()
                        .filter(|ip| !ip.is_unspecified())
                        .ok_or_else(|| {
                            format!(
                                "{key} must be one IP address (not 0.0.0.0 or ::), got \"{value}\""
                            )
                        })?
                }
                _ => {
                    return Err(format!(
                        "unknown key \"{key}\" (the keys are shards, replicas, base-port, bind)"
                    ))
                }
            }
        }
        let n = spec.nodes();
        if n > MAX_NODES {
            return Err(format!(
                "shards * (1 + replicas) is {n} nodes; at most {MAX_NODES} are allowed"
            ));
        }
        if spec.base_port as usize + n - 1 + 10000 > 65535 {
            return Err(format!(
                "ports {}..{} and their cluster bus ports (+10000) must stay below 65536",
                spec.base_port,
                spec.base_port as usize + n - 1
            ));
        }
        Ok(spec)
    }

    /// Number of nodes: `shards * (1 + replicas)`.
    pub fn nodes(&self) -> usize {
        self.shards * (1 + self.replicas)
    }

    /// Port of node `i` (primaries are nodes `0 .. shards`).
    pub fn port(&self, i: usize) -> u16 {
        self.base_port + i as u16
    }

    /// The node (index) that node `i` replicates when the cluster is formed: replica `k` of
    /// shard `s` is node `shards * (1 + k) + s` and replicates node `s`; `None` for a primary.
    pub fn primary_of(&self, i: usize) -> Option<usize> {
        (i >= self.shards).then_some(i % self.shards)
    }
}

/// The slots of each of `primaries` primaries, as inclusive `(first, last)` ranges: contiguous,
/// covering 0..=16383, split exactly as `redis-cli --cluster create` splits them (Redis 7.0
/// `redis-cli.c`, clusterManagerCommandCreate: a float cursor advanced by 16384 / primaries and
/// rounded, the last primary taking the rest). 3 primaries: 0-5460, 5461-10922, 10923-16383.
pub fn slot_ranges(primaries: usize) -> Vec<(u16, u16)> {
    let per_node = SLOTS as f32 / primaries as f32;
    let mut cursor = 0.0f32;
    let mut first = 0i64;
    let mut out = Vec::with_capacity(primaries);
    for i in 0..primaries {
        let mut last = (cursor + per_node - 1.0).round() as i64;
        if last > SLOTS as i64 || i == primaries - 1 {
            last = SLOTS as i64 - 1;
        }
        last = last.max(first);
        out.push((first as u16, last as u16));
        first = last + 1;
        cursor += per_node;
    }
    out
}

/// The parsed command line of `--local-cluster` (everything after that flag).
#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    pub spec: Spec,
    /// Where the nodes' directories go (`DIR/PORT`); default `./shoal-local-cluster`.
    pub dir: PathBuf,
    /// Directives passed to every node after the launcher's own, e.g. `--cluster-node-timeout 5000`.
    pub directives: Vec<String>,
}

impl Options {
    /// Parses `[SPEC] [--dir DIR] [--directive value ...]`. SPEC may be left out (all defaults)
    /// when the next argument starts with `--`. Errors: a bad spec, `--dir` without a value,
    /// directives not starting with `--name`, or a directive the launcher sets itself per node
    /// (port, bind, dir, cluster-enabled, cluster-config-file, cluster-port, daemonize).
    pub fn parse(args: &[String]) -> Result<Options, String> {
        let (spec, rest) = match args.split_first() {
            Some((first, rest)) if !first.starts_with("--") => (first.as_str(), rest),
            _ => ("", args),
        };
        let spec = Spec::parse(spec).map_err(|e| format!("bad spec \"{spec}\": {e}"))?;
        let mut dir = PathBuf::from("shoal-local-cluster");
        let mut directives = Vec::new();
        let mut it = rest.iter();
        while let Some(arg) = it.next() {
            if arg == "--dir" {
                dir = PathBuf::from(it.next().ok_or("--dir needs a directory")?);
                continue;
            }
            if let Some(name) = arg.strip_prefix("--") {
                if RESERVED.contains(&name.to_ascii_lowercase().as_str()) {
                    return Err(format!(
                        "--{name} is set by the launcher for each node; leave it out"
                    ));
                }
            } else if directives.is_empty() {
                return Err(format!(
                    "expected --directive value after the spec, got \"{arg}\""
                ));
            }
            directives.push(arg.clone());
        }
        Ok(Options {
            spec,
            dir,
            directives,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(args: &[&str]) -> Result<Options, String> {
        Options::parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn spec_defaults_and_keys() {
        assert_eq!(Spec::parse("").unwrap(), Spec::default());
        let s = Spec::parse("replicas=2, base-port=30000,shards=4,ip=127.0.0.2").unwrap();
        assert_eq!((s.shards, s.replicas, s.base_port), (4, 2, 30000));
        assert_eq!(s.bind.to_string(), "127.0.0.2");
        assert_eq!(s.nodes(), 12);
        assert_eq!(s.primary_of(3), None);
        assert_eq!(s.primary_of(4), Some(0));
        assert_eq!(s.primary_of(11), Some(3));
    }

    #[test]
    fn bad_specs_say_what_is_wrong() {
        for (spec, needle) in [
            (
                "shards=x",
                "shards must be an integer from 1 to 100, got \"x\"",
            ),
            ("shards=0", "shards must be an integer from 1"),
            ("replicas=-1", "replicas must be an integer from 0 to 10"),
            (
                "base-port=70000",
                "base-port must be an integer from 1 to 65535",
            ),
            ("base-port=60000", "must stay below 65536"),
            ("shards=50,replicas=2", "150 nodes"),
            ("nodes=3", "unknown key \"nodes\""),
            ("shards", "not key=value"),
            ("shards=3,shards=4", "shards is given twice"),
            ("bind=0.0.0.0", "not 0.0.0.0"),
            ("ip=localhost", "ip must be one IP address"),
        ] {
            let e = Spec::parse(spec).unwrap_err();
            assert!(e.contains(needle), "{spec}: {e}");
        }
    }

    #[test]
    fn options_take_dir_and_pass_the_rest() {
        let o = opts(&[
            "shards=1",
            "--dir",
            "/tmp/x",
            "--cluster-node-timeout",
            "5000",
        ])
        .unwrap();
        assert_eq!(o.spec.shards, 1);
        assert_eq!(o.dir, PathBuf::from("/tmp/x"));
        assert_eq!(o.directives, ["--cluster-node-timeout", "5000"]);
        let o = opts(&["--save", ""]).unwrap();
        assert_eq!(o.spec, Spec::default());
        assert_eq!(o.dir, PathBuf::from("shoal-local-cluster"));
        assert_eq!(o.directives, ["--save", ""]);
        assert!(opts(&["shards=1", "--dir"])
            .unwrap_err()
            .contains("--dir needs"));
        assert!(opts(&["shards=1", "--PORT", "1"])
            .unwrap_err()
            .contains("set by the launcher"));
        assert!(opts(&["shards=1", "x.conf"])
            .unwrap_err()
            .contains("expected --directive"));
        assert!(opts(&["shards=q"])
            .unwrap_err()
            .contains("bad spec \"shards=q\""));
    }

    #[test]
    fn slots_split_as_redis_cli_splits_them() {
        assert_eq!(slot_ranges(3), [(0, 5460), (5461, 10922), (10923, 16383)]);
        assert_eq!(slot_ranges(1), [(0, 16383)]);
        for n in 1..=MAX_SHARDS {
            let r = slot_ranges(n);
            assert_eq!(r.len(), n);
            assert_eq!(r[0].0, 0);
            assert_eq!(r[n - 1].1, 16383);
            assert!(r
                .windows(2)
                .all(|w| w[1].0 == w[0].1 + 1 && w[0].0 <= w[0].1));
        }
    }
}
