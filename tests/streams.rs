//! Stream commands: XADD XLEN XRANGE XREVRANGE XDEL XTRIM XSETID XREAD XREADGROUP XGROUP XACK
//! XPENDING XCLAIM XAUTOCLAIM XINFO, their errors, RESP3 shapes and consumer group flows.
//!
//! Replies are compared byte for byte against what Redis 7.0.15 sends (run with
//! `SHOAL_TEST_AGAINST=redis` to check the expectations against the real thing). Values that
//! depend on the clock (idle times, delivery and seen times) are masked with [`mask`].
mod support;
use support::*;

fn setup() -> (Server, Raw) {
    let s = Server::start(&[]);
    let c = s.raw();
    (s, c)
}

/// An array of already encoded replies.
fn a(items: &[String]) -> String {
    let mut s = format!("*{}\r\n", items.len());
    for i in items {
        s.push_str(i);
    }
    s
}

/// One stream entry: `[id, [field, value, ...]]`.
fn e(id: &str, fv: &[&str]) -> String {
    format!("*2\r\n{}{}", bulk(id), arr(fv))
}

/// Replaces the integer that follows any bulk string in `labels` with `:_` (clock-dependent
/// values: idle times, delivery and seen times).
fn mask(reply: &str, labels: &[&str]) -> String {
    let mut lines: Vec<String> = reply.split("\r\n").map(String::from).collect();
    for i in 0..lines.len().saturating_sub(2) {
        if lines[i].starts_with('$')
            && labels.contains(&lines[i + 1].as_str())
            && lines[i + 2].starts_with(':')
        {
            lines[i + 2] = ":_".into();
        }
    }
    lines.join("\r\n")
}

/// Sends `cmd` (whitespace-separated words) and returns the reply with `labels` masked.
fn masked(c: &mut Raw, cmd: &str, labels: &[&str]) -> String {
    let r = c.call(&cmd.split_whitespace().collect::<Vec<_>>());
    mask(&r, labels)
}

const BAD_ID: &str = "-ERR Invalid stream ID specified as stream command argument\r\n";
const TOP: &str =
    "-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n";
const NULL_ARRAY: &str = "*-1\r\n";

#[test]
fn xadd_takes_explicit_partial_and_generated_ids() {
    let (_s, mut c) = setup();
    c.ex("XADD s 1-1 a 1", &bulk("1-1"));
    c.ex("XADD s 1-1 a 1", TOP);
    c.ex("XADD s 1-0 a 1", TOP);
    c.ex("XADD s 1-* b 2", &bulk("1-2"));
    c.ex("XADD s 2-* b 2", &bulk("2-0"));
    c.ex("XADD s 5 c 3", &bulk("5-0"));
    c.ex(
        "XADD s 0-0 a 1",
        &err("ERR The ID specified in XADD must be greater than 0-0"),
    );
    c.ex("XADD fresh 0-* a 1", &bulk("0-1"));
    c.ex("XADD s abc a 1", BAD_ID);
    c.ex("XADD s 1-x a 1", BAD_ID);
    c.ex("XADD s - a 1", BAD_ID);
    c.ex("XADD s 18446744073709551616 a 1", BAD_ID);
    let auto = c.call(&["XADD", "s", "*", "f", "v"]);
    let id = auto.split("\r\n").nth(1).unwrap().to_string();
    let (ms, seq) = id.split_once('-').unwrap();
    assert!(ms.parse::<u64>().unwrap() > 1_600_000_000_000, "{auto}");
    assert_eq!(seq, "0");
    c.ex("XLEN s", &int(5));
    c.ex("XLEN nokey", &int(0));
    c.ex("TYPE s", "+stream\r\n");
    c.ex("OBJECT ENCODING s", &bulk("stream"));
    let r = c.call(&["XADD", "s", "NOMKSTREAM", "*", "a", "1"]);
    assert!(r.starts_with('$') && r.contains('-'), "{r}");
    c.ex("XLEN s", &int(6));
}

#[test]
fn xadd_arity_nomkstream_and_wrongtype() {
    let (_s, mut c) = setup();
    c.ex("XADD s * f", &arity("xadd"));
    c.ex("XADD s * f v g", &arity("xadd"));
    c.ex("XADD s f v", &arity("xadd"));
    c.ex("XADD s MAXLEN 1", &arity("xadd"));
    c.ex("XADD s NOMKSTREAM * f v", NIL);
    c.ex("EXISTS s", &int(0));
    c.ex("XADD s NOMKSTREAM 1-1 f v", NIL);
    c.ex("SET str x", OK);
    c.ex("XADD str * f v", WRONGTYPE);
    c.ex("XLEN str", WRONGTYPE);
    c.ex("XRANGE str - +", WRONGTYPE);
    c.ex(
        "XADD x 18446744073709551615-18446744073709551615 f v",
        &bulk("18446744073709551615-18446744073709551615"),
    );
    c.ex(
        "XADD x * f v",
        &err("ERR The stream has exhausted the last possible ID, unable to add more items"),
    );
    c.ex(
        "XADD y 7-18446744073709551615 f v",
        &bulk("7-18446744073709551615"),
    );
    c.ex(
        "XADD y 7-* f v",
        &err("ERR Elements are too large to be stored"),
    );
    let r = c.call(&["XADD", "y", "*", "f", "v"]);
    assert!(r.ends_with("-0\r\n"), "{r}");
    c.ex("XLEN y", &int(2));
}

#[test]
fn xadd_trims_with_maxlen_and_minid() {
    let (_s, mut c) = setup();
    for i in 1..=5 {
        c.ex(
            &format!("XADD s MAXLEN 3 {i}-0 f {i}"),
            &bulk(&format!("{i}-0")),
        );
    }
    c.ex("XLEN s", &int(3));
    c.ex("XRANGE s - + COUNT 1", &a(&[e("3-0", &["f", "3"])]));
    c.ex("XADD s MAXLEN = 1 6-0 f 6", &bulk("6-0"));
    c.ex("XLEN s", &int(1));
    // Approximate: the whole node (here every entry) goes once it may.
    c.ex("XADD s MAXLEN ~ 0 7-0 f 7", &bulk("7-0"));
    c.ex("XLEN s", &int(0));
    c.ex("XADD s 8-0 f 8", &bulk("8-0"));
    c.ex("XADD s MINID 9 9-0 f 9", &bulk("9-0"));
    c.ex("XRANGE s - +", &a(&[e("9-0", &["f", "9"])]));
    c.ex("XADD s MINID = 9-0 10-0 f 10", &bulk("10-0"));
    c.ex("XLEN s", &int(2));
    c.ex("XADD s MAXLEN ~ 0 LIMIT 1 11-0 f 11", &bulk("11-0"));
    c.ex("XLEN s", &int(3));
    c.ex("XADD s MAXLEN 0 12-0 f 12", &bulk("12-0"));
    c.ex("XLEN s", &int(0));
    c.ex("EXISTS s", &int(1));

    c.ex(
        "XADD s MAXLEN -1 * f v",
        &err("ERR The MAXLEN argument must be >= 0."),
    );
    c.ex("XADD s MAXLEN x * f v", NOT_INT);
    c.ex(
        "XADD s MAXLEN 1 MINID 0 * f v",
        &err("ERR syntax error, MAXLEN and MINID options at the same time are not compatible"),
    );
    c.ex(
        "XADD s MAXLEN 1 LIMIT 1 * f v",
        &err("ERR syntax error, LIMIT cannot be used without the special ~ option"),
    );
    c.ex(
        "XADD s LIMIT 1 * f v",
        &err("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"),
    );
    c.ex(
        "XADD s MAXLEN ~ 1 LIMIT -1 * f v",
        &err("ERR The LIMIT argument must be >= 0."),
    );
    c.ex("XADD s MINID x * f v", BAD_ID);
}

#[test]
fn xrange_and_xrevrange_walk_inclusive_and_exclusive_bounds() {
    let (_s, mut c) = setup();
    c.ex("XADD s 1-1 a 1", &bulk("1-1"));
    c.ex("XADD s 1-2 b 2 c 3", &bulk("1-2"));
    c.ex("XADD s 2-0 d 4", &bulk("2-0"));
    let e1 = e("1-1", &["a", "1"]);
    let e2 = e("1-2", &["b", "2", "c", "3"]);
    let e3 = e("2-0", &["d", "4"]);
    c.ex("XRANGE s - +", &a(&[e1.clone(), e2.clone(), e3.clone()]));
    c.ex("XRANGE s 1 1", &a(&[e1.clone(), e2.clone()]));
    c.ex("XRANGE s (1-1 +", &a(&[e2.clone(), e3.clone()]));
    c.ex("XRANGE s - (2-0", &a(&[e1.clone(), e2.clone()]));
    c.ex("XRANGE s (1-1 (2", &a(&[e2.clone(), e3.clone()]));
    c.ex("XRANGE s (1-1 (2-0", &a(std::slice::from_ref(&e2)));
    c.ex("XRANGE s - + COUNT 2", &a(&[e1.clone(), e2.clone()]));
    c.ex(
        "XRANGE s - + COUNT 1 COUNT 5",
        &a(&[e1.clone(), e2.clone(), e3.clone()]),
    );
    c.ex("XRANGE s - + COUNT 0", NULL_ARRAY);
    c.ex("XRANGE s - + COUNT -3", NULL_ARRAY);
    c.ex("XRANGE nokey - + COUNT 0", EMPTY);
    c.ex("XRANGE s 3 1", EMPTY);
    c.ex("XRANGE nokey - +", EMPTY);
    c.ex("XREVRANGE s + -", &a(&[e3.clone(), e2.clone(), e1.clone()]));
    c.ex("XREVRANGE s + - COUNT 1", &a(std::slice::from_ref(&e3)));
    c.ex("XREVRANGE s (2-0 (1-1", &a(std::slice::from_ref(&e2)));
    c.ex("XREVRANGE s 1 1", &a(&[e2.clone(), e1.clone()]));

    c.ex("XRANGE s - + COUNT", SYNTAX);
    c.ex("XRANGE s - + LIMIT 1", SYNTAX);
    c.ex("XRANGE s - + COUNT x", NOT_INT);
    c.ex("XRANGE s ( +", BAD_ID);
    c.ex("XRANGE s (- +", BAD_ID);
    c.ex("XRANGE s x +", BAD_ID);
    c.ex("XRANGE s 1-* +", BAD_ID);
    c.ex(
        "XRANGE s (18446744073709551615-18446744073709551615 +",
        &err("ERR invalid start ID for the interval"),
    );
    c.ex(
        "XRANGE s - (0-0",
        &err("ERR invalid end ID for the interval"),
    );
    c.ex("XRANGE s", &arity("xrange"));
}

#[test]
fn xdel_and_xtrim_remove_entries() {
    let (_s, mut c) = setup();
    for i in 1..=5 {
        c.ex(&format!("XADD s {i}-0 f {i}"), &bulk(&format!("{i}-0")));
    }
    c.ex("XDEL s 2-0 3 9-9", &int(2));
    c.ex("XDEL s 2-0", &int(0));
    c.ex("XDEL s bad", BAD_ID);
    c.ex("XDEL s 1-0 bad", BAD_ID);
    c.ex("XLEN s", &int(3));
    c.ex("XDEL nokey bad", &int(0));
    c.ex("XTRIM s MAXLEN 2", &int(1));
    c.ex(
        "XRANGE s - +",
        &a(&[e("4-0", &["f", "4"]), e("5-0", &["f", "5"])]),
    );
    c.ex("XTRIM s MINID 5", &int(1));
    c.ex("XTRIM s MINID = 5", &int(0));
    c.ex("XTRIM s MAXLEN ~ 0", &int(1));
    c.ex("XLEN s", &int(0));
    c.ex("XTRIM nokey MAXLEN 1", &int(0));
    c.ex("XTRIM s FOO 1", SYNTAX);
    c.ex(
        "XTRIM s LIMIT 1 MAXLEN 1",
        &err("ERR syntax error, LIMIT cannot be used without the special ~ option"),
    );
    c.ex("XTRIM s MAXLEN 1 extra", SYNTAX);
    c.ex("XTRIM s", &arity("xtrim"));
    c.ex("SET str x", OK);
    c.ex("XTRIM str MAXLEN 1", WRONGTYPE);
    c.ex("XDEL str 1-1", WRONGTYPE);
}

#[test]
fn approximate_trimming_removes_whole_nodes_only() {
    let (_s, mut c) = setup();
    let mut batch = Vec::new();
    for i in 1..=250 {
        batch.extend(resp(&[
            b"XADD",
            b"s",
            format!("{i}-0").as_bytes(),
            b"f",
            b"v",
        ]));
    }
    c.send(&batch);
    for i in 1..=250 {
        assert_eq!(
            String::from_utf8_lossy(&c.read_reply()),
            bulk(&format!("{i}-0"))
        );
    }
    c.ex("XTRIM s MAXLEN ~ 200", &int(0));
    c.ex("XTRIM s MAXLEN ~ 100", &int(100));
    c.ex("XLEN s", &int(150));
    c.ex("XTRIM s MINID ~ 240", &int(100));
    c.ex("XTRIM s MAXLEN ~ 0 LIMIT 30", &int(0));
    c.ex("XTRIM s MAXLEN = 10", &int(40));
    c.ex("XRANGE s - + COUNT 1", &a(&[e("241-0", &["f", "v"])]));
}

#[test]
fn xsetid_moves_the_last_id() {
    let (_s, mut c) = setup();
    c.ex("XSETID nokey 1-1", &err("ERR no such key"));
    c.ex("XADD s 5-0 f v", &bulk("5-0"));
    c.ex(
        "XSETID s 4-0",
        &err("ERR The ID specified in XSETID is smaller than the target stream top item"),
    );
    c.ex("XSETID s 10-0", OK);
    c.ex("XADD s 9-0 f v", TOP);
    c.ex("XADD s 10-* f v", &bulk("10-1"));
    c.ex("XSETID s 20-0 ENTRIESADDED 5 MAXDELETEDID 15-0", OK);
    c.ex(
        "XSETID s 20-0 ENTRIESADDED 1",
        &err("ERR The entries_added specified in XSETID is smaller than the target stream length"),
    );
    c.ex(
        "XSETID s 20-0 MAXDELETEDID 30-0",
        &err("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"),
    );
    c.ex(
        "XSETID s 20-0 ENTRIESADDED -1",
        &err("ERR entries_added must be positive"),
    );
    c.ex("XSETID s 20-0 FOO", SYNTAX);
    c.ex("XSETID s bad", BAD_ID);
    c.ex("XDEL s 5-0 10-1", &int(2));
    // 7.0.15 lets the last id go below the max deleted id.
    c.ex("XSETID s 14-0", OK);
    c.ex("XSETID s 16-0", OK);
    let info = c.call(&["XINFO", "STREAM", "s"]);
    assert_eq!(
        info,
        format!(
            "*20\r\n{}:0\r\n{}:0\r\n{}:1\r\n{}{}{}{}{}:5\r\n{}{}{}:0\r\n{}{NIL}{}{NIL}",
            bulk("length"),
            bulk("radix-tree-keys"),
            bulk("radix-tree-nodes"),
            bulk("last-generated-id"),
            bulk("16-0"),
            bulk("max-deleted-entry-id"),
            bulk("15-0"),
            bulk("entries-added"),
            bulk("recorded-first-entry-id"),
            bulk("0-0"),
            bulk("groups"),
            bulk("first-entry"),
            bulk("last-entry"),
        )
    );
}

#[test]
fn xread_serves_entries_after_the_given_ids() {
    let (_s, mut c) = setup();
    c.ex("XADD a 1-1 f 1", &bulk("1-1"));
    c.ex("XADD a 1-2 f 2", &bulk("1-2"));
    c.ex("XADD b 2-1 g 1", &bulk("2-1"));
    let a1 = e("1-1", &["f", "1"]);
    let a2 = e("1-2", &["f", "2"]);
    let b1 = e("2-1", &["g", "1"]);
    let pair = |k: &str, entries: &[String]| a(&[bulk(k), a(entries)]);
    c.ex(
        "XREAD STREAMS a 0",
        &a(&[pair("a", &[a1.clone(), a2.clone()])]),
    );
    c.ex(
        "XREAD COUNT 1 STREAMS a 0",
        &a(&[pair("a", std::slice::from_ref(&a1))]),
    );
    c.ex(
        "XREAD COUNT 0 STREAMS a 1-1",
        &a(&[pair("a", std::slice::from_ref(&a2))]),
    );
    c.ex(
        "XREAD STREAMS a nokey b 0 0 0",
        &a(&[
            pair("a", &[a1.clone(), a2.clone()]),
            pair("b", std::slice::from_ref(&b1)),
        ]),
    );
    c.ex("XREAD STREAMS a b 1-2 $", NULL_ARRAY);
    c.ex("XREAD STREAMS nokey $", NULL_ARRAY);
    c.ex(
        "XREAD BLOCK 100 STREAMS a 1-1",
        &a(&[pair("a", std::slice::from_ref(&a2))]),
    );
    c.ex(
        "XREAD STREAMS a 1",
        &a(&[pair("a", &[a1.clone(), a2.clone()])]),
    );
    c.ex("XREAD STREAMS a 1-2", NULL_ARRAY);
    c.ex("XREAD STREAMS a (1", BAD_ID);

    c.ex(
        "XREAD STREAMS a b 0",
        &err("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."),
    );
    c.ex(
        "XREAD STREAMS a >",
        &err("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."),
    );
    c.ex(
        "XREAD GROUP g c STREAMS a 0",
        &err("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."),
    );
    c.ex(
        "XREAD NOACK STREAMS a 0",
        &err("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."),
    );
    c.ex(
        "XREAD BLOCK -1 STREAMS a 0",
        &err("ERR timeout is negative"),
    );
    c.ex(
        "XREAD BLOCK x STREAMS a 0",
        &err("ERR timeout is not an integer or out of range"),
    );
    c.ex("XREAD COUNT x STREAMS a 0", NOT_INT);
    c.ex("XREAD FOO STREAMS a 0", SYNTAX);
    c.ex("XREAD COUNT 1 a 0", SYNTAX);
    c.ex("XREAD STREAMS", &arity("xread"));
    c.ex("SET str x", OK);
    c.ex("XREAD STREAMS a str 0 0", WRONGTYPE);

    // RESP3: a map of key -> entries; nothing to serve is the null.
    let _ = c.call(&["HELLO", "3"]);
    c.ex(
        "XREAD STREAMS a b 1-1 0",
        &format!("%2\r\n{}{}{}{}", bulk("a"), a(&[a2]), bulk("b"), a(&[b1])),
    );
    c.ex("XREAD STREAMS a 9", "_\r\n");
}

#[test]
fn read_keys_come_after_streams_for_command_getkeys() {
    let (_s, mut c) = setup();
    c.ex(
        "COMMAND GETKEYS XREAD COUNT 1 STREAMS k1 k2 0 0",
        &arr(&["k1", "k2"]),
    );
    c.ex(
        "COMMAND GETKEYS XREADGROUP GROUP g c STREAMS k1 >",
        &arr(&["k1"]),
    );
    c.ex("COMMAND GETKEYS XADD k * f v", &arr(&["k"]));
    c.ex("COMMAND GETKEYS XGROUP CREATE k g $", &arr(&["k"]));
    c.ex("COMMAND GETKEYS XINFO STREAM k", &arr(&["k"]));
}

#[test]
fn xgroup_create_setid_destroy_and_consumers() {
    let (_s, mut c) = setup();
    c.ex(
        "XGROUP CREATE s g $",
        &err("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."),
    );
    c.ex("XGROUP CREATE s g $ MKSTREAM", OK);
    c.ex("XLEN s", &int(0));
    c.ex(
        "XGROUP CREATE s g $",
        &err("BUSYGROUP Consumer Group name already exists"),
    );
    c.ex("XGROUP CREATE s g2 0 ENTRIESREAD 0", OK);
    c.ex(
        "XGROUP CREATE s g3 0 ENTRIESREAD -2",
        &err("ERR value for ENTRIESREAD must be positive or -1"),
    );
    c.ex(
        "XGROUP CREATE s g3 0 FOO",
        &err("ERR unknown subcommand or wrong number of arguments for 'CREATE'. Try XGROUP HELP."),
    );
    c.ex("XGROUP CREATE s g3 bad", BAD_ID);
    c.ex("XGROUP CREATE s g3 -", BAD_ID);
    c.ex("XGROUP SETID s g 0", OK);
    c.ex("XGROUP SETID s g - ENTRIESREAD 0", OK);
    c.ex("XGROUP SETID s g $ ENTRIESREAD x", NOT_INT);
    c.ex(
        "XGROUP SETID s g 0 FOO 1",
        &err("ERR unknown subcommand or wrong number of arguments for 'SETID'. Try XGROUP HELP."),
    );
    c.ex(
        "XGROUP SETID s nog 0",
        &err("NOGROUP No such consumer group 'nog' for key name 's'"),
    );
    c.ex(
        "XGROUP SETID nokey g 0",
        &err("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."),
    );
    c.ex("XGROUP CREATECONSUMER s g alice", &int(1));
    c.ex("XGROUP CREATECONSUMER s g alice", &int(0));
    c.ex(
        "XGROUP CREATECONSUMER s nog alice",
        &err("NOGROUP No such consumer group 'nog' for key name 's'"),
    );
    c.ex("XGROUP DELCONSUMER s g bob", &int(0));
    c.ex("XGROUP DELCONSUMER s g alice", &int(0));
    c.ex("XGROUP DESTROY s g2", &int(1));
    c.ex("XGROUP DESTROY s g2", &int(0));
    c.ex("XGROUP DESTROY s", &arity("xgroup|destroy"));
    c.ex(
        "XGROUP FOO s g",
        &err("ERR unknown subcommand 'FOO'. Try XGROUP HELP."),
    );
    c.ex("XGROUP", &arity("xgroup"));
    c.ex("SET str x", OK);
    c.ex("XGROUP CREATE str g $", WRONGTYPE);
    let help = c.call(&["XGROUP", "HELP"]);
    assert!(
        help.starts_with(
            "*17\r\n+XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
        ),
        "{help}"
    );
    assert!(
        help.ends_with("+HELP\r\n+    Prints this help.\r\n"),
        "{help}"
    );
    let help = c.call(&["XINFO", "HELP"]);
    assert!(help.starts_with("*9\r\n+XINFO <subcommand>"), "{help}");
}

#[test]
fn consumer_group_flow_read_pending_ack() {
    let (_s, mut c) = setup();
    c.ex("XADD s 1-0 f 1", &bulk("1-0"));
    c.ex("XADD s 2-0 f 2", &bulk("2-0"));
    c.ex("XADD s 3-0 f 3", &bulk("3-0"));
    c.ex("XGROUP CREATE s g 0", OK);
    let e1 = e("1-0", &["f", "1"]);
    let e2 = e("2-0", &["f", "2"]);
    let e3 = e("3-0", &["f", "3"]);
    let pair = |entries: &[String]| a(&[a(&[bulk("s"), a(entries)])]);
    c.ex(
        "XREADGROUP GROUP g alice COUNT 2 STREAMS s >",
        &pair(&[e1.clone(), e2.clone()]),
    );
    c.ex(
        "XREADGROUP GROUP g bob STREAMS s >",
        &pair(std::slice::from_ref(&e3)),
    );
    c.ex("XREADGROUP GROUP g bob STREAMS s >", NULL_ARRAY);
    c.ex("XREADGROUP GROUP g carol STREAMS s >", NULL_ARRAY);
    // History: the consumer's own pending entries after the id.
    c.ex(
        "XREADGROUP GROUP g alice STREAMS s 0",
        &pair(&[e1.clone(), e2.clone()]),
    );
    c.ex(
        "XREADGROUP GROUP g alice COUNT 1 STREAMS s 1-0",
        &pair(std::slice::from_ref(&e2)),
    );
    c.ex("XREADGROUP GROUP g carol STREAMS s 0", &pair(&[]));
    c.ex(
        "XPENDING s g",
        &format!(
            "*4\r\n:3\r\n{}{}{}",
            bulk("1-0"),
            bulk("3-0"),
            a(&[arr(&["alice", "2"]), arr(&["bob", "1"])])
        ),
    );
    let row =
        |id: &str, who: &str, n: i64| format!("*4\r\n{}{}:_\r\n{}", bulk(id), bulk(who), int(n));
    assert_eq!(
        masked(&mut c, "XPENDING s g - + 10", &["alice", "bob"]),
        a(&[
            row("1-0", "alice", 2),
            row("2-0", "alice", 3),
            row("3-0", "bob", 1)
        ])
    );
    assert_eq!(
        masked(&mut c, "XPENDING s g (1-0 + 1 alice", &["alice"]),
        a(&[row("2-0", "alice", 3)])
    );
    c.ex("XPENDING s g - + 10 nobody", EMPTY);
    c.ex("XPENDING s g IDLE 3600000 - + 10", EMPTY);
    c.ex("XPENDING s g - + 0", EMPTY);
    c.ex("XACK s g 1-0 2-0 9-0", &int(2));
    c.ex("XACK s g 1-0", &int(0));
    c.ex("XACK s nog 1-0", &int(0));
    c.ex("XACK nokey g 1-0", &int(0));
    c.ex("XACK s g bad", BAD_ID);
    c.ex(
        "XPENDING s g",
        &format!(
            "*4\r\n:1\r\n{}{}{}",
            bulk("3-0"),
            bulk("3-0"),
            a(&[arr(&["bob", "1"])])
        ),
    );
    c.ex("XREADGROUP GROUP g alice STREAMS s 0", &pair(&[]));
    c.ex("XGROUP DELCONSUMER s g bob", &int(1));
    c.ex(
        "XPENDING s g",
        &format!("*4\r\n:0\r\n{NIL}{NIL}{NULL_ARRAY}"),
    );
    // NOACK: delivered without entering the PEL.
    c.ex("XADD s 4-0 f 4", &bulk("4-0"));
    c.ex(
        "XREADGROUP GROUP g alice NOACK STREAMS s >",
        &pair(&[e("4-0", &["f", "4"])]),
    );
    c.ex(
        "XPENDING s g",
        &format!("*4\r\n:0\r\n{NIL}{NIL}{NULL_ARRAY}"),
    );
    // A deleted pending entry reads back as [id, nil] from the history.
    c.ex("XADD s 5-0 f 5", &bulk("5-0"));
    c.ex(
        "XREADGROUP GROUP g alice STREAMS s >",
        &pair(&[e("5-0", &["f", "5"])]),
    );
    c.ex("XDEL s 5-0", &int(1));
    c.ex(
        "XREADGROUP GROUP g alice STREAMS s 0",
        &pair(&[format!("*2\r\n{}{NULL_ARRAY}", bulk("5-0"))]),
    );
}

#[test]
fn xreadgroup_errors() {
    let (_s, mut c) = setup();
    c.ex("XADD s 1-0 f 1", &bulk("1-0"));
    c.ex(
        "XREADGROUP GROUP g c STREAMS s >",
        &err("NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP option"),
    );
    c.ex(
        "XREADGROUP GROUP g c STREAMS nokey >",
        &err("NOGROUP No such key 'nokey' or consumer group 'g' in XREADGROUP with GROUP option"),
    );
    c.ex("XGROUP CREATE s g 0", OK);
    c.ex(
        "XREADGROUP GROUP g c STREAMS s $",
        &err("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set."),
    );
    c.ex(
        "XREADGROUP COUNT 1 BLOCK 1 STREAMS s >",
        &err("ERR Missing GROUP option for XREADGROUP"),
    );
    c.ex(
        "XREADGROUP GROUP g c STREAMS s t >",
        &err("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."),
    );
    c.ex("XREADGROUP GROUP g c STREAMS s bad", BAD_ID);
    c.ex("XREADGROUP GROUP g STREAMS s >", &arity("xreadgroup"));
    c.ex("XREADGROUP GROUP g STREAMS s > x", SYNTAX);
    c.ex("XREADGROUP GROUP g c s >", &arity("xreadgroup"));
    c.ex("XREADGROUP GROUP g c COUNT 1 s >", SYNTAX);
}

#[test]
fn xclaim_moves_pending_entries() {
    let (_s, mut c) = setup();
    for i in 1..=3 {
        c.ex(&format!("XADD s {i}-0 f {i}"), &bulk(&format!("{i}-0")));
    }
    c.ex("XGROUP CREATE s g 0", OK);
    c.ex("XCLAIM s g bob 0 1-0", EMPTY);
    let _ = c.call(&["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"]);
    c.ex("XCLAIM s g bob 3600000 1-0", EMPTY);
    c.ex("XCLAIM s g bob 0 1-0", &a(&[e("1-0", &["f", "1"])]));
    c.ex("XCLAIM s g bob 0 2-0 JUSTID", &arr(&["2-0"]));
    let row =
        |id: &str, who: &str, n: i64| format!("*4\r\n{}{}:_\r\n{}", bulk(id), bulk(who), int(n));
    assert_eq!(
        masked(&mut c, "XPENDING s g - + 10", &["alice", "bob"]),
        a(&[
            row("1-0", "bob", 2),
            row("2-0", "bob", 1),
            row("3-0", "alice", 1)
        ])
    );
    c.ex(
        "XCLAIM s g carol 0 1-0 IDLE 7200000 RETRYCOUNT 7 JUSTID",
        &arr(&["1-0"]),
    );
    assert_eq!(
        masked(&mut c, "XPENDING s g IDLE 3600000 - + 10", &["carol"]),
        a(&[row("1-0", "carol", 7)])
    );
    // FORCE creates a pending entry for an entry nobody read; a deleted entry leaves the PEL.
    c.ex("XADD s 4-0 f 4", &bulk("4-0"));
    c.ex("XCLAIM s g dave 0 4-0", EMPTY);
    c.ex("XCLAIM s g dave 0 4-0 FORCE", &a(&[e("4-0", &["f", "4"])]));
    c.ex("XDEL s 3-0", &int(1));
    c.ex("XCLAIM s g dave 0 3-0 9-0", EMPTY);
    assert_eq!(
        masked(&mut c, "XPENDING s g - + 10", &["bob", "carol", "dave"]),
        a(&[
            row("1-0", "carol", 7),
            row("2-0", "bob", 1),
            row("4-0", "dave", 2)
        ])
    );
    c.ex(
        "XCLAIM s g bob 0 2-0 LASTID 9-0 TIME 0 JUSTID",
        &arr(&["2-0"]),
    );
    c.ex(
        "XCLAIM s g bob 0 2-0 FOO",
        &err("ERR Unrecognized XCLAIM option 'FOO'"),
    );
    c.ex(
        "XCLAIM s g bob x 2-0",
        &err("ERR Invalid min-idle-time argument for XCLAIM"),
    );
    c.ex(
        "XCLAIM s g bob 0 2-0 IDLE x",
        &err("ERR Invalid IDLE option argument for XCLAIM"),
    );
    c.ex(
        "XCLAIM s g bob 0 2-0 TIME x",
        &err("ERR Invalid TIME option argument for XCLAIM"),
    );
    c.ex(
        "XCLAIM s g bob 0 2-0 RETRYCOUNT x",
        &err("ERR Invalid RETRYCOUNT option argument for XCLAIM"),
    );
    c.ex("XCLAIM s g bob 0 2-0 LASTID x", BAD_ID);
    c.ex(
        "XCLAIM s nog bob 0 2-0",
        &err("NOGROUP No such key 's' or consumer group 'nog'"),
    );
    c.ex(
        "XCLAIM nokey g bob 0 2-0",
        &err("NOGROUP No such key 'nokey' or consumer group 'g'"),
    );
    c.ex("XCLAIM s g bob 0", &arity("xclaim"));
}

#[test]
fn xautoclaim_scans_the_pel_and_reports_deleted_ids() {
    let (_s, mut c) = setup();
    for i in 1..=5 {
        c.ex(&format!("XADD s {i}-0 f {i}"), &bulk(&format!("{i}-0")));
    }
    c.ex("XGROUP CREATE s g 0", OK);
    let _ = c.call(&["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"]);
    c.ex(
        "XAUTOCLAIM s g bob 0 0 COUNT 2",
        &format!(
            "*3\r\n{}{}{EMPTY}",
            bulk("3-0"),
            a(&[e("1-0", &["f", "1"]), e("2-0", &["f", "2"])])
        ),
    );
    c.ex("XDEL s 4-0", &int(1));
    c.ex(
        "XAUTOCLAIM s g bob 0 3-0 JUSTID",
        &format!(
            "*3\r\n{}{}{}",
            bulk("0-0"),
            arr(&["3-0", "5-0"]),
            arr(&["4-0"])
        ),
    );
    c.ex(
        "XAUTOCLAIM s g carol 3600000 0",
        &format!("*3\r\n{}{EMPTY}{EMPTY}", bulk("0-0")),
    );
    c.ex(
        "XAUTOCLAIM s g carol 0 (1-0 COUNT 1 JUSTID",
        &format!("*3\r\n{}{}{EMPTY}", bulk("3-0"), arr(&["2-0"])),
    );
    c.ex(
        "XPENDING s g",
        &format!(
            "*4\r\n:4\r\n{}{}{}",
            bulk("1-0"),
            bulk("5-0"),
            a(&[arr(&["bob", "3"]), arr(&["carol", "1"])])
        ),
    );
    c.ex(
        "XAUTOCLAIM s g bob 0 0 COUNT 0",
        &err("ERR COUNT must be > 0"),
    );
    c.ex("XAUTOCLAIM s g bob 0 0 FOO", SYNTAX);
    c.ex(
        "XAUTOCLAIM s g bob x 0",
        &err("ERR Invalid min-idle-time argument for XAUTOCLAIM"),
    );
    c.ex("XAUTOCLAIM s g bob 0 bad", BAD_ID);
    c.ex(
        "XAUTOCLAIM s nog bob 0 0",
        &err("NOGROUP No such key 's' or consumer group 'nog'"),
    );
}

#[test]
fn xinfo_stream_groups_and_consumers_shapes() {
    let (_s, mut c) = setup();
    c.ex("XINFO STREAM nokey", &err("ERR no such key"));
    c.ex("XINFO STREAM nokey FOO", &err("ERR no such key"));
    c.ex("XINFO GROUPS nokey", &err("ERR no such key"));
    c.ex("XINFO CONSUMERS nokey g", &err("ERR no such key"));
    c.ex("XADD s 1-1 a 1", &bulk("1-1"));
    c.ex("XADD s 2-1 b 2", &bulk("2-1"));
    c.ex("XGROUP CREATE s g 0", OK);
    c.ex("XGROUP CREATE s empty $", OK);
    let _ = c.call(&[
        "XREADGROUP",
        "GROUP",
        "g",
        "alice",
        "COUNT",
        "1",
        "STREAMS",
        "s",
        ">",
    ]);
    let head = |len: i64, last: &str, deleted: &str, added: i64, first: &str| {
        format!(
            "{}{}{}:1\r\n{}:2\r\n{}{}{}{}{}{}{}{}",
            bulk("length"),
            int(len),
            bulk("radix-tree-keys"),
            bulk("radix-tree-nodes"),
            bulk("last-generated-id"),
            bulk(last),
            bulk("max-deleted-entry-id"),
            bulk(deleted),
            bulk("entries-added"),
            int(added),
            bulk("recorded-first-entry-id"),
            bulk(first),
        )
    };
    let e1 = e("1-1", &["a", "1"]);
    let e2 = e("2-1", &["b", "2"]);
    c.ex(
        "XINFO STREAM s",
        &format!(
            "*20\r\n{}{}:2\r\n{}{}{}{}",
            head(2, "2-1", "0-0", 2, "1-1"),
            bulk("groups"),
            bulk("first-entry"),
            e1,
            bulk("last-entry"),
            e2
        ),
    );
    let group = |name: &str,
                 consumers: i64,
                 pending: i64,
                 last: &str,
                 read: Option<i64>,
                 lag: Option<i64>| {
        let opt = |v: Option<i64>| v.map_or(NIL.to_string(), int);
        format!(
            "*12\r\n{}{}{}{}{}{}{}{}{}{}{}{}",
            bulk("name"),
            bulk(name),
            bulk("consumers"),
            int(consumers),
            bulk("pending"),
            int(pending),
            bulk("last-delivered-id"),
            bulk(last),
            bulk("entries-read"),
            opt(read),
            bulk("lag"),
            opt(lag)
        )
    };
    c.ex(
        "XINFO GROUPS s",
        &a(&[
            group("empty", 0, 0, "2-1", None, Some(0)),
            group("g", 1, 1, "1-1", Some(1), Some(1)),
        ]),
    );
    assert_eq!(
        masked(&mut c, "XINFO CONSUMERS s g", &["idle"]),
        a(&[format!(
            "*6\r\n{}{}{}:1\r\n{}:_\r\n",
            bulk("name"),
            bulk("alice"),
            bulk("pending"),
            bulk("idle")
        )])
    );
    c.ex("XINFO CONSUMERS s empty", EMPTY);
    c.ex(
        "XINFO CONSUMERS s nog",
        &err("NOGROUP No such consumer group 'nog' for key name 's'"),
    );
    let full = masked(
        &mut c,
        "XINFO STREAM s FULL",
        &["seen-time", "alice", "1-1"],
    );
    let want = format!(
        "*18\r\n{}{}{}{}{}",
        head(2, "2-1", "0-0", 2, "1-1"),
        bulk("entries"),
        a(&[e1.clone(), e2.clone()]),
        bulk("groups"),
        a(&[
            format!(
                "*14\r\n{}{}{}{}{}{}{}{}{}{}{}{}{}{}",
                bulk("name"),
                bulk("empty"),
                bulk("last-delivered-id"),
                bulk("2-1"),
                bulk("entries-read"),
                NIL,
                bulk("lag"),
                int(0),
                bulk("pel-count"),
                int(0),
                bulk("pending"),
                EMPTY,
                bulk("consumers"),
                EMPTY
            ),
            format!(
                "*14\r\n{}{}{}{}{}{}{}{}{}{}{}{}{}{}",
                bulk("name"),
                bulk("g"),
                bulk("last-delivered-id"),
                bulk("1-1"),
                bulk("entries-read"),
                int(1),
                bulk("lag"),
                int(1),
                bulk("pel-count"),
                int(1),
                bulk("pending"),
                a(&[format!(
                    "*4\r\n{}{}:_\r\n:1\r\n",
                    bulk("1-1"),
                    bulk("alice")
                )]),
                bulk("consumers"),
                a(&[format!(
                    "*8\r\n{}{}{}:_\r\n{}:1\r\n{}{}",
                    bulk("name"),
                    bulk("alice"),
                    bulk("seen-time"),
                    bulk("pel-count"),
                    bulk("pending"),
                    a(&[format!("*3\r\n{}:_\r\n:1\r\n", bulk("1-1"))])
                )])
            ),
        ])
    );
    assert_eq!(full, want);
    let one = masked(
        &mut c,
        "XINFO STREAM s FULL COUNT 1",
        &["seen-time", "alice", "1-1"],
    );
    assert!(
        one.contains(&format!(
            "{}{}",
            bulk("entries"),
            a(std::slice::from_ref(&e1))
        )),
        "{one}"
    );
    c.ex(
        "XINFO STREAM s FULL COUNT",
        &err("ERR unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP."),
    );
    c.ex(
        "XINFO STREAM s FOO",
        &err("ERR unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP."),
    );
    c.ex("XINFO STREAM s FULL COUNT x", NOT_INT);
    c.ex("XINFO GROUPS s extra", &arity("xinfo|groups"));
    // Deleting an entry the group has not read makes the lag unknown.
    c.ex("XDEL s 2-1", &int(1));
    c.ex(
        "XINFO GROUPS s",
        &a(&[
            group("empty", 0, 0, "2-1", None, Some(0)),
            group("g", 1, 1, "1-1", Some(1), None),
        ]),
    );
    c.ex("XDEL s 1-1", &int(1));
    let info = c.call(&["XINFO", "STREAM", "s"]);
    assert!(
        info.contains(&format!(
            "{}{NIL}{}{NIL}",
            bulk("first-entry"),
            bulk("last-entry")
        )),
        "{info}"
    );
    assert!(
        info.contains(&format!(
            "{}{}",
            bulk("recorded-first-entry-id"),
            bulk("0-0")
        )),
        "{info}"
    );
}

#[test]
fn xinfo_and_xread_in_resp3() {
    let (_s, mut c) = setup();
    c.ex("XADD s 1-1 a 1", &bulk("1-1"));
    c.ex("XGROUP CREATE s g $", OK);
    let _ = c.call(&["HELLO", "3"]);
    let info = c.call(&["XINFO", "GROUPS", "s"]);
    assert_eq!(
        info,
        format!(
            "*1\r\n%6\r\n{}{}{}:0\r\n{}:0\r\n{}{}{}_\r\n{}:0\r\n",
            bulk("name"),
            bulk("g"),
            bulk("consumers"),
            bulk("pending"),
            bulk("last-delivered-id"),
            bulk("1-1"),
            bulk("entries-read"),
            bulk("lag")
        )
    );
    let st = c.call(&["XINFO", "STREAM", "s"]);
    assert!(st.starts_with("%10\r\n"), "{st}");
    c.ex("XADD s 2-1 b 2", &bulk("2-1"));
    c.ex(
        "XREADGROUP GROUP g c STREAMS s >",
        &format!("%1\r\n{}{}", bulk("s"), a(&[e("2-1", &["b", "2"])])),
    );
    c.ex("XREADGROUP GROUP g c STREAMS s >", "_\r\n");
    c.ex("XPENDING s g - + 0", EMPTY);
    c.ex("XGROUP CREATE s g2 $", OK);
    c.ex("XPENDING s g2", "*4\r\n:0\r\n_\r\n_\r\n_\r\n");
}

#[test]
fn scan_type_filter_finds_streams() {
    let (_s, mut c) = setup();
    c.ex("XADD s 1-1 f v", &bulk("1-1"));
    c.ex("SET str x", OK);
    c.ex(
        "SCAN 0 TYPE stream",
        &format!("*2\r\n{}{}", bulk("0"), arr(&["s"])),
    );
}

// ---------------------------------------------------------------------------------------------
// BLOCK
// ---------------------------------------------------------------------------------------------

#[test]
fn xread_block_dollar_waits_for_entries_added_later() {
    let srv = Server::start(&[]);
    let (mut r1, mut r2, mut w) = (srv.raw(), srv.raw(), srv.raw());
    w.ex("XADD s 1-1 old 1", &bulk("1-1"));
    r1.send_cmd("XREAD BLOCK 0 STREAMS s $");
    w.wait_blocked(1);
    r2.send_cmd("XREAD COUNT 5 BLOCK 0 STREAMS other s 0 $");
    w.wait_blocked(2);
    let list = w.call(&["CLIENT", "LIST"]);
    assert!(list.contains("cmd=xread "), "{list}");
    // An XADD serves every reader (reading does not consume).
    w.ex("XADD s 2-1 new 2", &bulk("2-1"));
    let want = a(&[a(&[bulk("s"), a(&[e("2-1", &["new", "2"])])])]);
    assert_eq!(r1.reply(), want);
    assert_eq!(r2.reply(), want);
    w.wait_blocked(0);
    // `$` on a missing key is 0-0: the first entry of the new stream serves it.
    r1.send_cmd("XREAD BLOCK 0 STREAMS fresh $");
    w.wait_blocked(1);
    w.ex("SET str x", OK);
    w.ex("XADD fresh 5-5 f v", &bulk("5-5"));
    assert_eq!(
        r1.reply(),
        a(&[a(&[bulk("fresh"), a(&[e("5-5", &["f", "v"])])])])
    );
}

#[test]
fn xread_block_times_out_and_does_not_block_in_multi() {
    let srv = Server::start(&[]);
    let mut c = srv.raw();
    c.ex("XADD s 1-1 f v", &bulk("1-1"));
    let t = std::time::Instant::now();
    c.ex("XREAD BLOCK 150 STREAMS s $", NULL_ARRAY);
    assert!(t.elapsed() >= std::time::Duration::from_millis(140));
    c.ex("MULTI", OK);
    c.ex("XREAD BLOCK 0 STREAMS s $", "+QUEUED\r\n");
    c.ex("EXEC", &format!("*1\r\n{NULL_ARRAY}"));
    c.ex(
        "XREAD BLOCK 0 STREAMS s 0",
        &a(&[a(&[bulk("s"), a(&[e("1-1", &["f", "v"])])])]),
    );
}

#[test]
fn xreadgroup_block_serves_one_consumer_per_entry() {
    let srv = Server::start(&[]);
    let (mut c1, mut c2, mut w) = (srv.raw(), srv.raw(), srv.raw());
    w.ex("XGROUP CREATE s g $ MKSTREAM", OK);
    c1.send_cmd("XREADGROUP GROUP g alice BLOCK 0 STREAMS s >");
    w.wait_blocked(1);
    c2.send_cmd("XREADGROUP GROUP g bob BLOCK 0 STREAMS s >");
    w.wait_blocked(2);
    w.ex("XADD s 1-0 f 1", &bulk("1-0"));
    assert_eq!(
        c1.reply(),
        a(&[a(&[bulk("s"), a(&[e("1-0", &["f", "1"])])])])
    );
    w.wait_blocked(1);
    w.ex("XADD s 2-0 f 2", &bulk("2-0"));
    assert_eq!(
        c2.reply(),
        a(&[a(&[bulk("s"), a(&[e("2-0", &["f", "2"])])])])
    );
    w.wait_blocked(0);
    w.ex(
        "XPENDING s g",
        &format!(
            "*4\r\n:2\r\n{}{}{}",
            bulk("1-0"),
            bulk("2-0"),
            a(&[arr(&["alice", "1"]), arr(&["bob", "1"])])
        ),
    );
    // The group goes away while a consumer waits: the wait ends with NOGROUP.
    c1.send_cmd("XREADGROUP GROUP g alice BLOCK 0 STREAMS s >");
    w.wait_blocked(1);
    w.ex("XGROUP DESTROY s g", &int(1));
    assert_eq!(
        c1.reply(),
        err("NOGROUP the consumer group this client was blocked on no longer exists")
    );
    w.wait_blocked(0);
    // A timeout answers the null array.
    w.ex("XGROUP CREATE s g $", OK);
    c1.ex("XREADGROUP GROUP g alice BLOCK 50 STREAMS s >", NULL_ARRAY);
}

#[test]
fn redis_benchmark_xadd_with_generated_ids_runs_without_errors() {
    let srv = Server::start(&[]);
    let out = std::process::Command::new("redis-benchmark")
        .args(["-h", "127.0.0.1", "-p", &srv.port.to_string()])
        .args([
            "-q", "-n", "2000", "-P", "8", "XADD", "bench", "*", "field", "value",
        ])
        .output()
        .expect("redis-benchmark (apt-get install redis-tools)");
    let text = String::from_utf8_lossy(&out.stdout).to_lowercase();
    assert!(out.status.success() && !text.contains("error"), "{text}");
    assert!(text.contains("requests per second"), "{text}");
    let mut c = srv.raw();
    c.ex("XLEN bench", &int(2000));
    let stats = c.call(&["INFO", "stats"]);
    assert!(stats.contains("total_error_replies:0\r\n"), "{stats}");
}

#[test]
fn a_reader_waiting_for_later_ids_does_not_hold_up_the_readers_behind_it() {
    let srv = Server::start(&[]);
    let (mut far, mut near, mut w) = (srv.raw(), srv.raw(), srv.raw());
    w.ex("XADD s 1-1 f v", &bulk("1-1"));
    far.send_cmd("XREAD BLOCK 0 STREAMS s 100-0");
    w.wait_blocked(1);
    near.send_cmd("XREAD BLOCK 0 STREAMS s $");
    w.wait_blocked(2);
    w.ex("XADD s 50-0 f v", &bulk("50-0"));
    assert_eq!(
        near.reply(),
        a(&[a(&[bulk("s"), a(&[e("50-0", &["f", "v"])])])])
    );
    w.wait_blocked(1);
    w.ex("XADD s 101-0 f v", &bulk("101-0"));
    assert_eq!(
        far.reply(),
        a(&[a(&[bulk("s"), a(&[e("101-0", &["f", "v"])])])])
    );
    w.wait_blocked(0);
}

#[test]
fn lag_ignores_deletions_before_the_first_entry_and_negative_retrycount_counts_up() {
    let (_s, mut c) = setup();
    c.ex("XADD s 10-1 a 1", &bulk("10-1"));
    c.ex("XADD s 10-2 a 2", &bulk("10-2"));
    c.ex("XGROUP CREATE s g 0 ENTRIESREAD 1", OK);
    c.ex("XSETID s 20-0 ENTRIESADDED 100 MAXDELETEDID 5-5", OK);
    let lag = |n: i64| {
        format!(
            "*1\r\n*12\r\n{}{}{}:0\r\n{}:0\r\n{}{}{}:1\r\n{}{}",
            bulk("name"),
            bulk("g"),
            bulk("consumers"),
            bulk("pending"),
            bulk("last-delivered-id"),
            bulk("0-0"),
            bulk("entries-read"),
            bulk("lag"),
            int(n)
        )
    };
    c.ex("XINFO GROUPS s", &lag(99));
    c.ex("XDEL s 10-1", &int(1));
    c.ex("XSETID s 20-0 MAXDELETEDID 10-1", OK);
    c.ex("XINFO GROUPS s", &lag(99));
    c.ex(
        "XREADGROUP GROUP g c STREAMS s >",
        &a(&[a(&[bulk("s"), a(&[e("10-2", &["a", "2"])])])]),
    );
    c.ex("XCLAIM s g d 0 10-2 RETRYCOUNT -1 JUSTID", &arr(&["10-2"]));
    c.ex(
        "XCLAIM s g d 0 10-2 RETRYCOUNT -1",
        &a(&[e("10-2", &["a", "2"])]),
    );
    assert_eq!(
        masked(&mut c, "XPENDING s g - + 10", &["d"]),
        a(&[format!(
            "*4\r\n{}{}:_\r\n{}",
            bulk("10-2"),
            bulk("d"),
            int(2)
        )])
    );
}

#[test]
fn client_unblock_ends_a_blocked_xread() {
    let srv = Server::start(&[]);
    let (mut r, mut w) = (srv.raw(), srv.raw());
    let id = r.call(&["CLIENT", "ID"]);
    let id = id.trim_start_matches(':').trim().to_string();
    r.send_cmd("XREAD BLOCK 0 STREAMS s $");
    w.wait_blocked(1);
    w.expect(&["CLIENT", "UNBLOCK", &id, "TIMEOUT"], &int(1));
    assert_eq!(r.reply(), NULL_ARRAY);
    r.send_cmd("XREAD BLOCK 0 STREAMS s $");
    w.wait_blocked(1);
    w.expect(&["CLIENT", "UNBLOCK", &id, "ERROR"], &int(1));
    assert_eq!(
        r.reply(),
        err("UNBLOCKED client unblocked via CLIENT UNBLOCK")
    );
    w.wait_blocked(0);
    // A key that turned into a string while a reader waited is skipped, not an error.
    r.send_cmd("XREAD BLOCK 0 STREAMS s $");
    w.wait_blocked(1);
    w.ex("SET s x", OK);
    w.ex("DEL s", &int(1));
    w.ex("XADD s 1-1 f v", &bulk("1-1"));
    assert_eq!(
        r.reply(),
        a(&[a(&[bulk("s"), a(&[e("1-1", &["f", "v"])])])])
    );
}

#[test]
fn a_blocked_xreadgroup_ends_when_its_stream_goes_away() {
    let srv = Server::start(&[]);
    let (mut g, mut x, mut w) = (srv.raw(), srv.raw(), srv.raw());
    let gone = err("UNBLOCKED the stream key no longer exists");
    w.ex("XGROUP CREATE s g $ MKSTREAM", OK);
    g.send_cmd("XREADGROUP GROUP g c BLOCK 0 STREAMS s >");
    w.wait_blocked(1);
    x.send_cmd("XREAD BLOCK 0 STREAMS s $");
    w.wait_blocked(2);
    // Overwritten by another type: the group reader ends, the plain reader keeps waiting.
    w.ex("SET s x", OK);
    assert_eq!(g.reply(), gone);
    w.wait_blocked(1);
    w.ex("DEL s", &int(1));
    w.ex("XADD s 1-1 f v", &bulk("1-1"));
    assert_eq!(
        x.reply(),
        a(&[a(&[bulk("s"), a(&[e("1-1", &["f", "v"])])])])
    );
    w.wait_blocked(0);
    // Deleted, and expired.
    w.ex("XGROUP CREATE s g $", OK);
    g.send_cmd("XREADGROUP GROUP g c BLOCK 0 STREAMS s >");
    w.wait_blocked(1);
    w.ex("DEL s", &int(1));
    assert_eq!(g.reply(), gone);
    w.ex("XGROUP CREATE s g $ MKSTREAM", OK);
    g.send_cmd("XREADGROUP GROUP g c BLOCK 0 STREAMS s >");
    w.wait_blocked(1);
    w.ex("PEXPIRE s 20", &int(1));
    assert_eq!(g.reply(), gone);
    w.wait_blocked(0);
}

#[test]
fn stream_commands_raise_keyspace_events() {
    let srv = Server::start(&[]);
    let (mut sub, mut c) = (srv.raw(), srv.raw());
    c.ex("CONFIG SET notify-keyspace-events Et", OK);
    let _ = sub.call(&["PSUBSCRIBE", "__keyevent@0__:*"]);
    let steps: &[(&str, &[&str])] = &[
        ("XADD s 1-1 a 1", &["xadd"]),
        ("XADD s MAXLEN 1 2-1 a 1", &["xadd", "xtrim"]),
        ("XADD n NOMKSTREAM * a 1", &[]),
        ("XTRIM s MAXLEN 0", &["xtrim"]),
        ("XADD s 3-1 a 1", &["xadd"]),
        ("XDEL s 3-1 9-9", &["xdel"]),
        ("XSETID s 10-0", &["xsetid"]),
        ("XGROUP CREATE s g $", &["xgroup-create"]),
        ("XGROUP SETID s g 0", &["xgroup-setid"]),
        ("XGROUP CREATECONSUMER s g c", &["xgroup-createconsumer"]),
        ("XGROUP DELCONSUMER s g c", &["xgroup-delconsumer"]),
        ("XGROUP DELCONSUMER s g c", &[]),
        ("XADD s 11-1 a 1", &["xadd"]),
        (
            "XREADGROUP GROUP g c1 STREAMS s >",
            &["xgroup-createconsumer"],
        ),
        ("XACK s g 11-1", &[]),
        ("XCLAIM s g c2 0 11-1 FORCE", &["xgroup-createconsumer"]),
        ("XGROUP DESTROY s g", &["xgroup-destroy"]),
    ];
    for (cmd, events) in steps {
        let _ = c.call(&cmd.split_whitespace().collect::<Vec<_>>());
        for ev in *events {
            let chan = format!("__keyevent@0__:{ev}");
            let key = cmd
                .split_whitespace()
                .nth(if cmd.starts_with("XGROUP") { 2 } else { 1 });
            let key = if cmd.starts_with("XREADGROUP") {
                "s"
            } else {
                key.unwrap()
            };
            assert_eq!(
                String::from_utf8_lossy(&sub.read_reply()),
                format!(
                    "*4\r\n{}{}{}{}",
                    bulk("pmessage"),
                    bulk("__keyevent@0__:*"),
                    bulk(&chan),
                    bulk(key)
                ),
                "{cmd}"
            );
        }
    }
    // Nothing else arrived: the next event is the one of a marker XADD.
    let _ = c.call(&["XADD", "marker", "*", "a", "1"]);
    let last = String::from_utf8_lossy(&sub.read_reply()).into_owned();
    assert!(last.contains("marker"), "{last}");
}
