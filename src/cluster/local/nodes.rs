//! Reading CLUSTER NODES for the launcher: the fields it needs, and what every node must see
//! alike before the local cluster is ready.

/// One line of CLUSTER NODES, the fields the launcher needs (format:
/// <https://redis.io/commands/cluster-nodes/>: `id ip:port@cport[,hostname] flags master
/// ping-sent pong-recv config-epoch link-state slot...`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct NodeLine {
    pub(super) id: String,
    pub(super) port: u16,
    pub(super) primary: bool,
    /// The primary's id, for a replica.
    pub(super) master: Option<String>,
    /// The flags include `handshake` (not yet a member).
    pub(super) handshake: bool,
    /// Inclusive slot ranges served; importing/migrating entries (`[...]`) are left out.
    pub(super) slots: Vec<(u16, u16)>,
}

/// Parses CLUSTER NODES; lines that do not have the eight leading fields are skipped.
pub(super) fn parse_cluster_nodes(text: &str) -> Vec<NodeLine> {
    let mut out = Vec::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 8 {
            continue;
        }
        let hostport = f[1].split(['@', ',']).next().unwrap_or("");
        let port = hostport
            .rsplit_once(':')
            .and_then(|(_, p)| p.parse().ok())
            .unwrap_or(0);
        let flags: Vec<&str> = f[2].split(',').collect();
        let slots = f[8..]
            .iter()
            .filter(|s| !s.starts_with('['))
            .filter_map(|s| {
                let (a, b) = s.split_once('-').unwrap_or((s, s));
                Some((a.parse().ok()?, b.parse().ok()?))
            })
            .collect();
        out.push(NodeLine {
            id: f[0].to_string(),
            port,
            primary: flags.contains(&"master"),
            master: (f[3] != "-").then(|| f[3].to_string()),
            handshake: flags.contains(&"handshake"),
            slots,
        });
    }
    out
}

/// What every node must see alike: each node's id, role, primary and slots (not the flags
/// that differ by viewer, as `myself`, or change by the second, as link states).
pub(super) fn signature(view: &[NodeLine]) -> String {
    let mut lines: Vec<String> = view
        .iter()
        .map(|v| {
            let role = if v.primary { "primary" } else { "replica" };
            let master = v.master.as_deref().unwrap_or("-");
            format!("{} {role} {master} {:?}", v.id, v.slots)
        })
        .collect();
    lines.sort();
    lines.join("\n")
}

/// The value of `field` in an INFO-style `name:value` text.
pub(super) fn info_field(text: &str, field: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .map(|v| v.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_nodes_lines_are_parsed() {
        let text = "\
a1 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460 [5461->-b2]\n\
b2 127.0.0.1:7001@17001,host master - 0 1 2 connected 5461 5462-10922\n\
c3 127.0.0.1:7003@17003 slave a1 0 1 3 connected\n\
d4 :0@0 handshake - 0 0 0 disconnected\n";
        let v = parse_cluster_nodes(text);
        assert_eq!(v.len(), 4);
        assert_eq!((v[0].port, v[0].primary), (7000, true));
        assert_eq!(v[0].slots, [(0, 5460)]);
        assert_eq!(v[1].slots, [(5461, 5461), (5462, 10922)]);
        assert_eq!((v[2].primary, v[2].master.as_deref()), (false, Some("a1")));
        assert!(v[3].handshake && !v[0].handshake);
        // The viewer's own `myself` flag does not change the signature.
        let other = text.replace("myself,master", "master");
        assert_eq!(signature(&v), signature(&parse_cluster_nodes(&other)));
        let moved = text.replace("0-5460", "0-5459");
        assert_ne!(signature(&v), signature(&parse_cluster_nodes(&moved)));
    }
}
