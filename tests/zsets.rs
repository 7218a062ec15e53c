//! Sorted set commands: ZADD ZINCRBY ZREM ZSCORE ZMSCORE ZCARD ZCOUNT ZLEXCOUNT ZRANK ZREVRANK,
//! the ZRANGE family and ZRANGESTORE, ZPOPMIN ZPOPMAX ZMPOP, ZREMRANGEBY*, ZRANDMEMBER, ZSCAN,
//! ZUNION ZINTER ZDIFF ZINTERCARD and their STORE forms.
//!
//! Each case is a command and the exact bytes Redis 7.0.15 replies (run with
//! `SHOAL_TEST_AGAINST=redis` to check the expectations against the real thing). A case with an
//! empty expectation (HELLO) only consumes the reply.
mod support;
use support::*;

/// Runs the cases in order on one fresh connection of a fresh server.
fn run(cases: &[(&[&str], &str)]) {
    let s = Server::start(&[]);
    let mut c = s.raw();
    for (args, want) in cases {
        let words: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        c.send(&resp(&words));
        let got = c.read_reply();
        if want.is_empty() {
            continue;
        }
        assert_eq!(
            String::from_utf8_lossy(&got),
            *want,
            "command {:?}",
            args.join(" ")
        );
    }
}

#[test]
fn zadd_options_and_replies() {
    run(&[
        (&["zadd", "z", "1", "a", "2", "b", "3", "c"], ":3\r\n"),
        (&["zadd", "z", "0.1", "d", "1e20", "e"], ":2\r\n"),
        (&["zscore", "z", "d"], "$19\r\n0.10000000000000001\r\n"),
        (&["zscore", "z", "e"], "$5\r\n1e+20\r\n"),
        (&["zrange", "z", "0", "-1", "withscores"], "*10\r\n$1\r\nd\r\n$19\r\n0.10000000000000001\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\ne\r\n$5\r\n1e+20\r\n"),
        (&["zadd", "z", "nx", "xx", "1", "a"], "-ERR XX and NX options at the same time are not compatible\r\n"),
        (&["zadd", "z", "gt", "lt", "1", "a"], "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"),
        (&["zadd", "z", "nx", "gt", "1", "a"], "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"),
        (&["zadd", "z", "incr", "1", "a", "2", "b"], "-ERR INCR option supports a single increment-element pair\r\n"),
        (&["zadd", "z", "1"], "-ERR wrong number of arguments for 'zadd' command\r\n"),
        (&["zadd", "z", "abc", "a"], "-ERR value is not a valid float\r\n"),
        (&["zadd", "z", "incr", "5", "a"], "$1\r\n6\r\n"),
        (&["zadd", "z", "xx", "incr", "5", "zz"], "$-1\r\n"),
        (&["zadd", "z", "gt", "ch", "0", "a", "10", "b", "7", "new"], ":2\r\n"),
        (&["zadd", "z", "lt", "incr", "100", "a"], "$-1\r\n"),
        (&["zadd", "nokey", "xx", "1", "a"], ":0\r\n"),
        (&["exists", "nokey"], ":0\r\n"),
        (&["zadd", "z", "inf", "x", "-inf", "y"], ":2\r\n"),
        (&["zincrby", "z", "-inf", "x"], "-ERR resulting score is not a number (NaN)\r\n"),
        (&["zincrby", "z", "1", "nx"], "$1\r\n1\r\n"),
        (&["zincrby", "z", "abc", "nx"], "-ERR value is not a valid float\r\n"),
        (&["zincrby", "z", "1.5", "q"], "$3\r\n1.5\r\n"),
        (&["zadd", "z", "1e400", "a"], "-ERR value is not a valid float\r\n"),
        (&["zadd", "z", "1e-400", "a"], "-ERR value is not a valid float\r\n"),
        (&["zadd", "z", " 1", "a"], "-ERR value is not a valid float\r\n"),
        (&["zadd", "z", "0x10", "a"], ":0\r\n"),
        (&["zadd", "z", "+1", "plus"], ":1\r\n"),
        (&["zrange", "z", "0", "-1", "withscores"], "*22\r\n$1\r\ny\r\n$4\r\n-inf\r\n$1\r\nd\r\n$19\r\n0.10000000000000001\r\n$2\r\nnx\r\n$1\r\n1\r\n$4\r\nplus\r\n$1\r\n1\r\n$1\r\nq\r\n$3\r\n1.5\r\n$1\r\nc\r\n$1\r\n3\r\n$3\r\nnew\r\n$1\r\n7\r\n$1\r\nb\r\n$2\r\n10\r\n$1\r\na\r\n$2\r\n16\r\n$1\r\ne\r\n$5\r\n1e+20\r\n$1\r\nx\r\n$3\r\ninf\r\n"),
        (&["zadd", "z", "xx", "ch", "99", "a", "1", "nothere"], ":1\r\n"),
        (&["zscore", "z", "a"], "$2\r\n99\r\n"),
        (&["zadd", "z", "lt", "ch", "5", "a"], ":1\r\n"),
        (&["zadd", "z", "gt", "1", "a"], ":0\r\n"),
        (&["zscore", "z", "a"], "$1\r\n5\r\n"),
    ]);
}

#[test]
fn scores_print_like_redis() {
    run(&[
        (&["zadd", "z", "0.1", "a", "1e20", "b", "1.5", "c", "-3", "d", "123456789", "e", "0.0001", "f", "0.00001", "g", "1e17", "h", "3.0000000000000004", "i"], ":9\r\n"),
        (&["zrange", "z", "0", "-1", "withscores"], "*18\r\n$1\r\nd\r\n$2\r\n-3\r\n$1\r\ng\r\n$22\r\n1.0000000000000001e-05\r\n$1\r\nf\r\n$6\r\n0.0001\r\n$1\r\na\r\n$19\r\n0.10000000000000001\r\n$1\r\nc\r\n$3\r\n1.5\r\n$1\r\ni\r\n$18\r\n3.0000000000000004\r\n$1\r\ne\r\n$9\r\n123456789\r\n$1\r\nh\r\n$5\r\n1e+17\r\n$1\r\nb\r\n$5\r\n1e+20\r\n"),
        (&["zscore", "z", "a"], "$19\r\n0.10000000000000001\r\n"),
        (&["zscore", "z", "g"], "$22\r\n1.0000000000000001e-05\r\n"),
        (&["zadd", "z", "inf", "x", "-inf", "y"], ":2\r\n"),
        (&["zscore", "z", "x"], "$3\r\ninf\r\n"),
        (&["zscore", "z", "y"], "$4\r\n-inf\r\n"),
        (&["zincrby", "z", "0.2", "a"], "$19\r\n0.30000000000000004\r\n"),
        (&["zadd", "z", "-0", "negz"], ":1\r\n"),
        (&["zscore", "z", "negz"], "$1\r\n0\r\n"),
        (&["zadd", "z", "+inf", "x"], ":0\r\n"),
        (&["zincrby", "z", "-inf", "x"], "-ERR resulting score is not a number (NaN)\r\n"),
    ]);
}

#[test]
fn card_count_rank() {
    run(&[
        (
            &["zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d"],
            ":4\r\n",
        ),
        (&["zcard", "z"], ":4\r\n"),
        (&["zcard", "nokey"], ":0\r\n"),
        (&["zcount", "z", "-inf", "+inf"], ":4\r\n"),
        (&["zcount", "z", "(1", "3"], ":2\r\n"),
        (&["zcount", "z", "(1", "(3"], ":1\r\n"),
        (&["zcount", "z", "3", "1"], ":0\r\n"),
        (
            &["zcount", "z", "a", "b"],
            "-ERR min or max is not a float\r\n",
        ),
        (&["zcount", "z", "", ""], ":0\r\n"),
        (&["zcount", "nokey", "0", "1"], ":0\r\n"),
        (
            &["zcount", "nokey", "a", "1"],
            "-ERR min or max is not a float\r\n",
        ),
        (&["zrank", "z", "c"], ":2\r\n"),
        (&["zrevrank", "z", "c"], ":1\r\n"),
        (&["zrank", "z", "nope"], "$-1\r\n"),
        (&["zrank", "nokey", "a"], "$-1\r\n"),
        (&["zrevrank", "z", "a"], ":3\r\n"),
        (
            &["zmscore", "z", "a", "b", "nothere"],
            "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n",
        ),
        (&["zmscore", "nokey", "a"], "*1\r\n$-1\r\n"),
    ]);
}

#[test]
fn zrange_family() {
    run(&[
        (&["zrevrank", "z", "c"], "$-1\r\n"),
        (&["zrank", "z", "nope"], "$-1\r\n"),
        (&["zrange", "z", "0", "2", "rev", "withscores"], "*0\r\n"),
        (&["zrange", "z", "(1", "5", "byscore", "withscores"], "*0\r\n"),
        (&["zrange", "z", "5", "(1", "byscore", "rev"], "*0\r\n"),
        (&["zrange", "z", "0", "-1", "byscore", "limit", "1", "2"], "*0\r\n"),
        (&["zrange", "z", "-inf", "inf", "byscore", "limit", "1", "2"], "*0\r\n"),
        (&["zrange", "z", "-inf", "inf", "byscore", "limit", "-1", "2"], "*0\r\n"),
        (&["zrange", "z", "-inf", "inf", "byscore", "limit", "0", "-1"], "*0\r\n"),
        (&["zrange", "z", "0", "-1", "limit", "0", "1"], "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n"),
        (&["zrange", "z", "0", "-1", "limit", "0", "-1"], "*0\r\n"),
        (&["zrange", "z", "-", "+", "bylex", "withscores"], "-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n"),
        (&["zrange", "z", "0", "-1", "foo"], "-ERR syntax error\r\n"),
        (&["zrange", "z", "0", "-1", "limit", "1"], "-ERR syntax error\r\n"),
        (&["zrange", "z", "a", "b"], "-ERR value is not an integer or out of range\r\n"),
        (&["zrangebyscore", "z", "-inf", "inf", "withscores", "limit", "2", "3"], "*0\r\n"),
        (&["zrevrangebyscore", "z", "+inf", "-inf", "withscores", "limit", "2", "3"], "*0\r\n"),
        (&["zrevrange", "z", "0", "1", "withscores"], "*0\r\n"),
        (&["zrevrange", "z", "0", "1", "byscore"], "-ERR syntax error\r\n"),
        (&["zrange", "z", "100", "200"], "*0\r\n"),
        (&["zrange", "z", "-100", "-50"], "*0\r\n"),
        (&["del", "lex"], ":0\r\n"),
        (&["zrange", "z", "1", "1", "byscore", "withscores"], "*0\r\n"),
        (&["zrangebyscore", "z", "(1", "(3"], "*0\r\n"),
        (&["zrangebyscore", "z", "-inf", "inf", "limit", "1"], "-ERR syntax error\r\n"),
        (&["zrangebyscore", "z", "-inf", "inf", "limit", "a", "1"], "-ERR value is not an integer or out of range\r\n"),
        (&["zrangebyscore", "z", "a", "b"], "-ERR min or max is not a float\r\n"),
        (&["zrevrangebyscore", "z", "3", "1", "withscores"], "*0\r\n"),
        (&["zrange", "z", "0", "-1", "rev", "rev"], "-ERR syntax error\r\n"),
        (&["zrange", "z", "0", "-1", "byscore", "bylex"], "-ERR syntax error\r\n"),
        (&["zrange", "nokey", "0", "-1"], "*0\r\n"),
        (&["zrange", "z", "0", "-1", "rev"], "*0\r\n"),
    ]);
}

#[test]
fn lex_ranges() {
    run(&[
        (
            &[
                "zadd", "lex", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e",
            ],
            ":5\r\n",
        ),
        (
            &["zrangebylex", "lex", "-", "+"],
            "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n",
        ),
        (
            &["zrangebylex", "lex", "[b", "(d"],
            "*2\r\n$1\r\nb\r\n$1\r\nc\r\n",
        ),
        (
            &["zrevrangebylex", "lex", "(d", "[b"],
            "*2\r\n$1\r\nc\r\n$1\r\nb\r\n",
        ),
        (
            &["zrangebylex", "lex", "b", "d"],
            "-ERR min or max not valid string range item\r\n",
        ),
        (&["zlexcount", "lex", "[b", "+"], ":4\r\n"),
        (&["zlexcount", "lex", "-", "(c"], ":2\r\n"),
        (
            &["zrangebylex", "lex", "-", "+", "limit", "1", "2"],
            "*2\r\n$1\r\nb\r\n$1\r\nc\r\n",
        ),
        (&["zremrangebylex", "lex", "[b", "[c"], ":2\r\n"),
        (
            &["zrange", "lex", "0", "-1"],
            "*3\r\n$1\r\na\r\n$1\r\nd\r\n$1\r\ne\r\n",
        ),
        (&["zremrangebyrank", "lex", "0", "0"], ":1\r\n"),
        (&["zremrangebyscore", "lex", "-inf", "inf"], ":2\r\n"),
        (&["exists", "lex"], ":0\r\n"),
        (&["zpopmin", "z"], "*0\r\n"),
        (&["zpopmin", "z", "2"], "*0\r\n"),
        (&["zadd", "lex", "0", "a", "0", "b", "0", "c"], ":3\r\n"),
        (
            &["zrangebylex", "lex", "a", "b"],
            "-ERR min or max not valid string range item\r\n",
        ),
        (&["zrangebylex", "lex", "[a", "[a"], "*1\r\n$1\r\na\r\n"),
        (&["zrangebylex", "lex", "+", "-"], "*0\r\n"),
        (
            &["zrevrangebylex", "lex", "+", "-"],
            "*3\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n",
        ),
        (
            &["zrevrangebylex", "lex", "+", "-", "limit", "1", "1"],
            "*1\r\n$1\r\nb\r\n",
        ),
        (
            &["zrange", "lex", "[b", "+", "bylex"],
            "*2\r\n$1\r\nb\r\n$1\r\nc\r\n",
        ),
        (
            &["zrange", "lex", "+", "[b", "bylex", "rev"],
            "*2\r\n$1\r\nc\r\n$1\r\nb\r\n",
        ),
        (
            &["zrange", "lex", "-", "+", "bylex", "withscores"],
            "-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n",
        ),
        (
            &["zlexcount", "lex", "a", "b"],
            "-ERR min or max not valid string range item\r\n",
        ),
        (&["zlexcount", "nokey", "-", "+"], ":0\r\n"),
        (
            &["zremrangebylex", "lex", "a", "b"],
            "-ERR min or max not valid string range item\r\n",
        ),
        (&["zremrangebylex", "lex", "-", "+"], ":3\r\n"),
        (&["exists", "lex"], ":0\r\n"),
    ]);
}

#[test]
fn pops() {
    run(&[
        (
            &[
                "zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
            ],
            ":5\r\n",
        ),
        (&["zpopmin", "z"], "*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
        (
            &["zpopmin", "z", "2"],
            "*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n",
        ),
        (&["zpopmax", "z"], "*2\r\n$1\r\ne\r\n$1\r\n5\r\n"),
        (&["zpopmax", "z", "0"], "*0\r\n"),
        (
            &["zpopmin", "z", "-1"],
            "-ERR value is out of range, must be positive\r\n",
        ),
        (
            &["zpopmin", "z", "a"],
            "-ERR value is out of range, must be positive\r\n",
        ),
        (&["zpopmin", "nokey"], "*0\r\n"),
        (&["zpopmin", "nokey", "3"], "*0\r\n"),
        (&["zpopmin", "z", "1", "2"], "-ERR syntax error\r\n"),
        (&["zpopmax", "z", "10"], "*2\r\n$1\r\nd\r\n$1\r\n4\r\n"),
        (&["exists", "z"], ":0\r\n"),
        (&["zadd", "z", "1", "a", "2", "b"], ":2\r\n"),
        (
            &["zmpop", "1", "z", "min"],
            "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n",
        ),
        (
            &["zmpop", "2", "nokey", "z", "max", "count", "2"],
            "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n",
        ),
        (&["exists", "z"], ":0\r\n"),
        (
            &["zmpop", "0", "z", "min"],
            "-ERR numkeys should be greater than 0\r\n",
        ),
        (&["zmpop", "1", "z", "foo"], "-ERR syntax error\r\n"),
        (&["zmpop", "2", "z", "min"], "-ERR syntax error\r\n"),
        (
            &["zmpop", "1", "z", "min", "count", "0"],
            "-ERR count should be greater than 0\r\n",
        ),
        (
            &["zmpop", "1", "z", "min", "count", "-1"],
            "-ERR count should be greater than 0\r\n",
        ),
        (
            &["zmpop", "1", "z", "min", "count", "1", "count", "1"],
            "-ERR syntax error\r\n",
        ),
        (&["zmpop", "1", "nokey", "min"], "*-1\r\n"),
        (
            &["zmpop", "abc", "z", "min"],
            "-ERR numkeys should be greater than 0\r\n",
        ),
        (
            &["zmpop", "-1", "z", "min"],
            "-ERR numkeys should be greater than 0\r\n",
        ),
    ]);
}

#[test]
fn remove_and_remrange() {
    run(&[
        (
            &[
                "zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f",
            ],
            ":6\r\n",
        ),
        (&["zrem", "z", "a", "nothere"], ":1\r\n"),
        (&["zrem", "nokey", "a"], ":0\r\n"),
        (&["zremrangebyrank", "z", "0", "0"], ":1\r\n"),
        (&["zremrangebyrank", "z", "-2", "-1"], ":2\r\n"),
        (&["zremrangebyrank", "z", "5", "10"], ":0\r\n"),
        (
            &["zremrangebyrank", "z", "a", "b"],
            "-ERR value is not an integer or out of range\r\n",
        ),
        (&["zrange", "z", "0", "-1"], "*2\r\n$1\r\nc\r\n$1\r\nd\r\n"),
        (&["zremrangebyscore", "z", "(2", "3"], ":1\r\n"),
        (
            &["zremrangebyscore", "z", "x", "y"],
            "-ERR min or max is not a float\r\n",
        ),
        (&["zremrangebyscore", "nokey", "0", "1"], ":0\r\n"),
        (&["zrange", "z", "0", "-1"], "*1\r\n$1\r\nd\r\n"),
        (&["zrem", "z", "b", "d"], ":1\r\n"),
        (&["exists", "z"], ":0\r\n"),
        (&["zremrangebyrank", "nokey", "0", "-1"], ":0\r\n"),
    ]);
}

#[test]
fn store_and_setops() {
    run(&[
        (&["zadd", "{t}a", "1", "a", "2", "b", "3", "c"], ":3\r\n"),
        (&["zadd", "{t}b", "10", "b", "20", "c", "30", "d"], ":3\r\n"),
        (&["sadd", "{t}s", "a", "d", "x"], ":3\r\n"),
        (&["set", "{t}str", "v"], "+OK\r\n"),
        (&["zunion", "2", "{t}a", "{t}b", "withscores"], "*8\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$2\r\n12\r\n$1\r\nc\r\n$2\r\n23\r\n$1\r\nd\r\n$2\r\n30\r\n"),
        (&["zunion", "2", "{t}a", "{t}b", "weights", "2", "3", "withscores"], "*8\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nb\r\n$2\r\n34\r\n$1\r\nc\r\n$2\r\n66\r\n$1\r\nd\r\n$2\r\n90\r\n"),
        (&["zunion", "2", "{t}a", "{t}b", "aggregate", "min", "withscores"], "*8\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$2\r\n30\r\n"),
        (&["zunion", "2", "{t}a", "{t}b", "aggregate", "max"], "*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"),
        (&["zunion", "3", "{t}a", "{t}b", "{t}s", "withscores"], "*10\r\n$1\r\nx\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nb\r\n$2\r\n12\r\n$1\r\nc\r\n$2\r\n23\r\n$1\r\nd\r\n$2\r\n31\r\n"),
        (&["zinter", "2", "{t}a", "{t}b", "withscores"], "*4\r\n$1\r\nb\r\n$2\r\n12\r\n$1\r\nc\r\n$2\r\n23\r\n"),
        (&["zinter", "2", "{t}a", "{t}b", "aggregate", "max", "withscores"], "*4\r\n$1\r\nb\r\n$2\r\n10\r\n$1\r\nc\r\n$2\r\n20\r\n"),
        (&["zinter", "3", "{t}a", "{t}b", "{t}s", "withscores"], "*0\r\n"),
        (&["zinter", "2", "{t}a", "{t}s", "withscores"], "*2\r\n$1\r\na\r\n$1\r\n2\r\n"),
        (&["zdiff", "2", "{t}a", "{t}b", "withscores"], "*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
        (&["zdiff", "2", "{t}a", "{t}s"], "*2\r\n$1\r\nb\r\n$1\r\nc\r\n"),
        (&["zdiff", "1", "{t}a", "weights", "1"], "-ERR syntax error\r\n"),
        (&["zunion", "0", "{t}a"], "-ERR at least 1 input key is needed for 'zunion' command\r\n"),
        (&["zunion", "-1", "{t}a"], "-ERR at least 1 input key is needed for 'zunion' command\r\n"),
        (&["zunion", "x", "{t}a"], "-ERR value is not an integer or out of range\r\n"),
        (&["zunion", "3", "{t}a", "{t}b"], "-ERR syntax error\r\n"),
        (&["zunion", "2", "{t}a", "{t}str"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["zunion", "2", "{t}a", "{t}b", "weights", "1"], "-ERR syntax error\r\n"),
        (&["zunion", "2", "{t}a", "{t}b", "weights", "1", "x"], "-ERR weight value is not a float\r\n"),
        (&["zunion", "2", "{t}a", "{t}b", "aggregate", "foo"], "-ERR syntax error\r\n"),
        (&["zunion", "2", "{t}a", "{t}b", "aggregate"], "-ERR syntax error\r\n"),
        (&["zunion", "2", "{t}a", "{t}b", "withscores", "withscores"], "*8\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$2\r\n12\r\n$1\r\nc\r\n$2\r\n23\r\n$1\r\nd\r\n$2\r\n30\r\n"),
        (&["zintercard", "2", "{t}a", "{t}b"], ":2\r\n"),
        (&["zintercard", "2", "{t}a", "{t}b", "limit", "1"], ":1\r\n"),
        (&["zintercard", "2", "{t}a", "{t}b", "limit", "-1"], "-ERR LIMIT can't be negative\r\n"),
        (&["zintercard", "2", "{t}a", "{t}b", "limit", "0"], ":2\r\n"),
        (&["zintercard", "0", "{t}a"], "-ERR at least 1 input key is needed for 'zintercard' command\r\n"),
        (&["zintercard", "2", "{t}a", "{t}b", "withscores"], "-ERR syntax error\r\n"),
        (&["zunionstore", "{t}d", "2", "{t}a", "{t}b"], ":4\r\n"),
        (&["zrange", "{t}d", "0", "-1", "withscores"], "*8\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$2\r\n12\r\n$1\r\nc\r\n$2\r\n23\r\n$1\r\nd\r\n$2\r\n30\r\n"),
        (&["object", "encoding", "{t}d"], "$8\r\nlistpack\r\n"),
        (&["zinterstore", "{t}d", "2", "{t}a", "{t}b", "weights", "1", "-1"], ":2\r\n"),
        (&["zrange", "{t}d", "0", "-1", "withscores"], "*4\r\n$1\r\nc\r\n$3\r\n-17\r\n$1\r\nb\r\n$2\r\n-8\r\n"),
        (&["zdiffstore", "{t}d", "2", "{t}a", "{t}a"], ":0\r\n"),
        (&["exists", "{t}d"], ":0\r\n"),
        (&["zunionstore", "{t}d", "1", "{t}a", "withscores"], "-ERR syntax error\r\n"),
        (&["zunionstore", "{t}d", "0", "{t}a"], "-ERR at least 1 input key is needed for 'zunionstore' command\r\n"),
        (&["zdiffstore", "{t}d", "1", "{t}nokey"], ":0\r\n"),
        (&["zinterstore", "{t}str", "1", "{t}a"], ":3\r\n"),
        (&["type", "{t}str"], "+zset\r\n"),
        (&["zadd", "{t}i", "1", "a"], ":1\r\n"),
        (&["zadd", "{t}j", "inf", "a"], ":1\r\n"),
        (&["zinter", "2", "{t}i", "{t}j", "weights", "0", "1", "withscores"], "*2\r\n$1\r\na\r\n$3\r\ninf\r\n"),
        (&["zunion", "2", "{t}j", "{t}j", "weights", "-1", "1", "withscores"], "*2\r\n$1\r\na\r\n$1\r\n0\r\n"),
        (&["zunion", "2", "{t}j", "{t}j", "weights", "0", "1", "withscores"], "*2\r\n$1\r\na\r\n$3\r\ninf\r\n"),
        (&["zinter", "2", "{t}j", "{t}j", "weights", "1", "-1", "aggregate", "min", "withscores"], "*2\r\n$1\r\na\r\n$4\r\n-inf\r\n"),
        (&["zadd", "{t}src", "1", "a", "2", "b", "3", "c"], ":3\r\n"),
        (&["zrangestore", "{t}dst", "{t}src", "0", "1"], ":2\r\n"),
        (&["zrange", "{t}dst", "0", "-1", "withscores"], "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"),
        (&["zrangestore", "{t}dst", "{t}src", "(1", "+inf", "byscore", "limit", "0", "1"], ":1\r\n"),
        (&["zrange", "{t}dst", "0", "-1", "withscores"], "*2\r\n$1\r\nb\r\n$1\r\n2\r\n"),
        (&["zrangestore", "{t}dst", "{t}src", "[c", "-", "bylex", "rev"], ":3\r\n"),
        (&["zrange", "{t}dst", "0", "-1"], "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"),
        (&["zrangestore", "{t}dst", "{t}nokey", "0", "-1"], ":0\r\n"),
        (&["exists", "{t}dst"], ":0\r\n"),
        (&["zrangestore", "{t}dst", "{t}src", "0", "-1", "withscores"], "-ERR syntax error\r\n"),
        (&["zrangestore", "{t}dst", "{t}str", "0", "-1"], ":3\r\n"),
    ]);
}

#[test]
fn errors_wrongtype_and_arity() {
    run(&[
        (&["set", "s", "str"], "+OK\r\n"),
        (
            &["zadd", "s", "1", "a"],
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
        ),
        (
            &["zincrby", "s", "1", "a"],
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
        ),
        (
            &["zrem", "s", "a"],
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
        ),
        (
            &["zscore", "s", "a"],
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
        ),
        (
            &["zmscore", "s", "a"],
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
        ),
        (
            &["zcard", "s"],
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
        ),
        (
            &["zcount", "s", "0", "1"],
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
        ),
        (
            &["zlexcount", "s", "-", "+"],
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
        ),
        (
            &["zrank", "s", "a"],
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
        ),
        (
            &["zrange", "s", "0", "-1"],
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
        ),
        (
            &["zrangebyscore", "s", "0", "1"],
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
        ),
        (
            &["zrangebylex", "s", "-", "+"],
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
        ),
        (
            &["zpopmin", "s"],
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
        ),
        (
            &["zpopmax", "s", "1"],
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
        ),
        (
            &["zmpop", "1", "s", "min"],
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
        ),
        (
            &["zremrangebyrank", "s", "0", "1"],
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
        ),
        (
            &["zremrangebyscore", "s", "0", "1"],
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
        ),
        (
            &["zremrangebylex", "s", "-", "+"],
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
        ),
        (
            &["zrandmember", "s"],
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
        ),
        (
            &["zscan", "s", "0"],
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
        ),
        (
            &["zadd", "z"],
            "-ERR wrong number of arguments for 'zadd' command\r\n",
        ),
        (
            &["zadd", "z", "1"],
            "-ERR wrong number of arguments for 'zadd' command\r\n",
        ),
        (
            &["zscore", "z"],
            "-ERR wrong number of arguments for 'zscore' command\r\n",
        ),
        (
            &["zmscore", "z"],
            "-ERR wrong number of arguments for 'zmscore' command\r\n",
        ),
        (
            &["zincrby", "z", "1"],
            "-ERR wrong number of arguments for 'zincrby' command\r\n",
        ),
        (
            &["zcard"],
            "-ERR wrong number of arguments for 'zcard' command\r\n",
        ),
        (
            &["zcount", "z", "1"],
            "-ERR wrong number of arguments for 'zcount' command\r\n",
        ),
        (
            &["zrank", "z"],
            "-ERR wrong number of arguments for 'zrank' command\r\n",
        ),
        (
            &["zrange", "z", "0"],
            "-ERR wrong number of arguments for 'zrange' command\r\n",
        ),
        (
            &["zrangestore", "d", "z", "0"],
            "-ERR wrong number of arguments for 'zrangestore' command\r\n",
        ),
        (
            &["zpopmin"],
            "-ERR wrong number of arguments for 'zpopmin' command\r\n",
        ),
        (
            &["zmpop", "1", "z"],
            "-ERR wrong number of arguments for 'zmpop' command\r\n",
        ),
        (
            &["zunion", "1"],
            "-ERR wrong number of arguments for 'zunion' command\r\n",
        ),
        (
            &["zunionstore", "d", "1"],
            "-ERR wrong number of arguments for 'zunionstore' command\r\n",
        ),
        (
            &["zintercard", "1"],
            "-ERR wrong number of arguments for 'zintercard' command\r\n",
        ),
        (
            &["zscan", "z"],
            "-ERR wrong number of arguments for 'zscan' command\r\n",
        ),
        (
            &["zrandmember"],
            "-ERR wrong number of arguments for 'zrandmember' command\r\n",
        ),
    ]);
}

#[test]
fn randmember_and_scan() {
    run(&[
        (&["zrandmember", "nokey"], "$-1\r\n"),
        (&["zrandmember", "nokey", "5"], "*0\r\n"),
        (&["zrandmember", "nokey", "5", "withscores"], "*0\r\n"),
        (&["zadd", "z", "1", "a"], ":1\r\n"),
        (&["zrandmember", "z"], "$1\r\na\r\n"),
        (&["zrandmember", "z", "0"], "*0\r\n"),
        (&["zrandmember", "z", "3"], "*1\r\n$1\r\na\r\n"),
        (&["zrandmember", "z", "-3"], "*3\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n"),
        (&["zrandmember", "z", "1", "withscores"], "*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
        (&["zrandmember", "z", "-2", "withscores"], "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n1\r\n"),
        (&["zrandmember", "z", "1", "foo"], "-ERR syntax error\r\n"),
        (&["zrandmember", "z", "1", "withscores", "x"], "-ERR syntax error\r\n"),
        (&["zrandmember", "z", "x"], "-ERR value is not an integer or out of range\r\n"),
        (
            &["zrandmember", "z", "-9223372036854775808", "withscores"],
            "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n",
        ),
        (
            &["zrandmember", "z", "-9223372036854775807", "withscores"],
            "-ERR value is out of range\r\n",
        ),
        (&["zscan", "z", "-1"], "*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
        (&["zadd", "z", "2", "b", "3", "c"], ":2\r\n"),
        (&["zscan", "z", "0"], "*2\r\n$1\r\n0\r\n*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"),
        (&["zscan", "z", "abc"], "-ERR invalid cursor\r\n"),
        (&["zscan", "z", "0", "count", "0"], "-ERR syntax error\r\n"),
        (&["zscan", "z", "0", "count", "x"], "-ERR value is not an integer or out of range\r\n"),
        (&["zscan", "z", "0", "match", "b*"], "*2\r\n$1\r\n0\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"),
        (&["zscan", "z", "0", "foo"], "-ERR syntax error\r\n"),
        (&["zscan", "nokey", "0"], "*2\r\n$1\r\n0\r\n*0\r\n"),
    ]);
}

#[test]
fn encodings_follow_thresholds() {
    run(&[
        (
            &[
                "zadd", "z", "1", "m1", "2", "m2", "3", "m3", "4", "m4", "5", "m5", "6", "m6", "7",
                "m7", "8", "m8", "9", "m9", "10", "m10", "11", "m11", "12", "m12", "13", "m13",
                "14", "m14", "15", "m15", "16", "m16", "17", "m17", "18", "m18", "19", "m19", "20",
                "m20", "21", "m21", "22", "m22", "23", "m23", "24", "m24", "25", "m25", "26",
                "m26", "27", "m27", "28", "m28", "29", "m29", "30", "m30", "31", "m31", "32",
                "m32", "33", "m33", "34", "m34", "35", "m35", "36", "m36", "37", "m37", "38",
                "m38", "39", "m39", "40", "m40", "41", "m41", "42", "m42", "43", "m43", "44",
                "m44", "45", "m45", "46", "m46", "47", "m47", "48", "m48", "49", "m49", "50",
                "m50", "51", "m51", "52", "m52", "53", "m53", "54", "m54", "55", "m55", "56",
                "m56", "57", "m57", "58", "m58", "59", "m59", "60", "m60", "61", "m61", "62",
                "m62", "63", "m63", "64", "m64", "65", "m65", "66", "m66", "67", "m67", "68",
                "m68", "69", "m69", "70", "m70", "71", "m71", "72", "m72", "73", "m73", "74",
                "m74", "75", "m75", "76", "m76", "77", "m77", "78", "m78", "79", "m79", "80",
                "m80", "81", "m81", "82", "m82", "83", "m83", "84", "m84", "85", "m85", "86",
                "m86", "87", "m87", "88", "m88", "89", "m89", "90", "m90", "91", "m91", "92",
                "m92", "93", "m93", "94", "m94", "95", "m95", "96", "m96", "97", "m97", "98",
                "m98", "99", "m99", "100", "m100", "101", "m101", "102", "m102", "103", "m103",
                "104", "m104", "105", "m105", "106", "m106", "107", "m107", "108", "m108", "109",
                "m109", "110", "m110", "111", "m111", "112", "m112", "113", "m113", "114", "m114",
                "115", "m115", "116", "m116", "117", "m117", "118", "m118", "119", "m119", "120",
                "m120", "121", "m121", "122", "m122", "123", "m123", "124", "m124", "125", "m125",
                "126", "m126", "127", "m127", "128", "m128",
            ],
            ":128\r\n",
        ),
        (&["object", "encoding", "z"], "$8\r\nlistpack\r\n"),
        (&["zadd", "z", "129", "m129"], ":1\r\n"),
        (&["object", "encoding", "z"], "$8\r\nskiplist\r\n"),
        (&["zremrangebyrank", "z", "0", "100"], ":101\r\n"),
        (&["object", "encoding", "z"], "$8\r\nskiplist\r\n"),
        (
            &[
                "zadd",
                "y",
                "1",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            ],
            ":1\r\n",
        ),
        (&["object", "encoding", "y"], "$8\r\nlistpack\r\n"),
        (
            &[
                "zadd",
                "y",
                "1",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            ],
            ":1\r\n",
        ),
        (&["object", "encoding", "y"], "$8\r\nskiplist\r\n"),
        (
            &[
                "zadd", "big", "1", "m1", "2", "m2", "3", "m3", "4", "m4", "5", "m5", "6", "m6",
                "7", "m7", "8", "m8", "9", "m9", "10", "m10", "11", "m11", "12", "m12", "13",
                "m13", "14", "m14", "15", "m15", "16", "m16", "17", "m17", "18", "m18", "19",
                "m19", "20", "m20", "21", "m21", "22", "m22", "23", "m23", "24", "m24", "25",
                "m25", "26", "m26", "27", "m27", "28", "m28", "29", "m29", "30", "m30", "31",
                "m31", "32", "m32", "33", "m33", "34", "m34", "35", "m35", "36", "m36", "37",
                "m37", "38", "m38", "39", "m39", "40", "m40", "41", "m41", "42", "m42", "43",
                "m43", "44", "m44", "45", "m45", "46", "m46", "47", "m47", "48", "m48", "49",
                "m49", "50", "m50", "51", "m51", "52", "m52", "53", "m53", "54", "m54", "55",
                "m55", "56", "m56", "57", "m57", "58", "m58", "59", "m59", "60", "m60", "61",
                "m61", "62", "m62", "63", "m63", "64", "m64", "65", "m65", "66", "m66", "67",
                "m67", "68", "m68", "69", "m69", "70", "m70", "71", "m71", "72", "m72", "73",
                "m73", "74", "m74", "75", "m75", "76", "m76", "77", "m77", "78", "m78", "79",
                "m79", "80", "m80", "81", "m81", "82", "m82", "83", "m83", "84", "m84", "85",
                "m85", "86", "m86", "87", "m87", "88", "m88", "89", "m89", "90", "m90", "91",
                "m91", "92", "m92", "93", "m93", "94", "m94", "95", "m95", "96", "m96", "97",
                "m97", "98", "m98", "99", "m99", "100", "m100", "101", "m101", "102", "m102",
                "103", "m103", "104", "m104", "105", "m105", "106", "m106", "107", "m107", "108",
                "m108", "109", "m109", "110", "m110", "111", "m111", "112", "m112", "113", "m113",
                "114", "m114", "115", "m115", "116", "m116", "117", "m117", "118", "m118", "119",
                "m119", "120", "m120", "121", "m121", "122", "m122", "123", "m123", "124", "m124",
                "125", "m125", "126", "m126", "127", "m127", "128", "m128", "129", "m129",
            ],
            ":129\r\n",
        ),
        (&["object", "encoding", "big"], "$8\r\nskiplist\r\n"),
        (
            &[
                "zadd",
                "long",
                "1",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            ],
            ":1\r\n",
        ),
        (&["object", "encoding", "long"], "$8\r\nskiplist\r\n"),
        (&["zrangestore", "d", "z", "0", "-1"], ":28\r\n"),
        (&["object", "encoding", "d"], "$8\r\nlistpack\r\n"),
        (
            &["zrangestore", "d", "z", "-inf", "inf", "byscore"],
            ":28\r\n",
        ),
        (&["object", "encoding", "d"], "$8\r\nlistpack\r\n"),
        (&["zunionstore", "d", "1", "z"], ":28\r\n"),
        (&["object", "encoding", "d"], "$8\r\nlistpack\r\n"),
        (&["zunionstore", "d", "1", "big"], ":129\r\n"),
        (&["object", "encoding", "d"], "$8\r\nskiplist\r\n"),
    ]);
}

#[test]
fn resp3_reply_shapes() {
    run(&[
        (&["hello", "3"], ""),
        (&["zadd", "z", "1", "a", "2", "b", "0.1", "c"], ":3\r\n"),
        (&["zscore", "z", "c"], ",0.10000000000000001\r\n"),
        (&["zrange", "z", "0", "-1", "withscores"], "*3\r\n*2\r\n$1\r\nc\r\n,0.10000000000000001\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2\r\n"),
        (&["zrange", "z", "0", "-1"], "*3\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\nb\r\n"),
        (&["zpopmin", "z"], "*2\r\n$1\r\nc\r\n,0.10000000000000001\r\n"),
        (&["zpopmin", "z", "1"], "*1\r\n*2\r\n$1\r\na\r\n,1\r\n"),
        (&["zadd", "z", "1", "a", "2", "b"], ":1\r\n"),
        (&["zmpop", "1", "z", "max"], "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nb\r\n,2\r\n"),
        (&["zmpop", "1", "nokey", "max"], "_\r\n"),
        (&["zunion", "1", "z", "withscores"], "*1\r\n*2\r\n$1\r\na\r\n,1\r\n"),
        (&["zmscore", "z", "a", "nokey"], "*2\r\n,1\r\n_\r\n"),
        (&["zscan", "z", "0"], "*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
        (&["zincrby", "z", "1", "a"], ",2\r\n"),
        (&["zadd", "z", "incr", "1", "a"], ",3\r\n"),
        (&["zadd", "z", "nx", "incr", "1", "a"], "_\r\n"),
        (&["zrangebyscore", "z", "-inf", "inf", "withscores"], "*1\r\n*2\r\n$1\r\na\r\n,3\r\n"),
        (&["zadd", "z", "inf", "x", "-inf", "y"], ":2\r\n"),
        (&["zscore", "z", "x"], ",inf\r\n"),
        (&["zrange", "z", "0", "-1", "withscores"], "*3\r\n*2\r\n$1\r\ny\r\n,-inf\r\n*2\r\n$1\r\na\r\n,3\r\n*2\r\n$1\r\nx\r\n,inf\r\n"),
        (&["zunion", "1", "z"], "*3\r\n$1\r\ny\r\n$1\r\na\r\n$1\r\nx\r\n"),
        (&["zinter", "1", "z", "withscores"], "*3\r\n*2\r\n$1\r\ny\r\n,-inf\r\n*2\r\n$1\r\na\r\n,3\r\n*2\r\n$1\r\nx\r\n,inf\r\n"),
        (&["zdiff", "1", "z", "withscores"], "*3\r\n*2\r\n$1\r\ny\r\n,-inf\r\n*2\r\n$1\r\na\r\n,3\r\n*2\r\n$1\r\nx\r\n,inf\r\n"),
        (&["zrangebyscore", "z", "-inf", "inf", "withscores", "limit", "0", "1"], "*1\r\n*2\r\n$1\r\ny\r\n,-inf\r\n"),
        (&["zpopmax", "z"], "*2\r\n$1\r\nx\r\n,inf\r\n"),
        (&["zpopmax", "z", "2"], "*2\r\n*2\r\n$1\r\na\r\n,3\r\n*2\r\n$1\r\ny\r\n,-inf\r\n"),
        (&["zrandmember", "nokey"], "_\r\n"),
        (&["zrandmember", "nokey", "1", "withscores"], "*0\r\n"),
        (&["zmpop", "1", "nokey", "min"], "_\r\n"),
        (&["zscore", "z", "nothere"], "_\r\n"),
    ]);
}

#[test]
fn ttl_kept_and_empty_key_deleted() {
    run(&[
        (&["zadd", "{t}w", "1", "a"], ":1\r\n"),
        (&["expire", "{t}w", "100"], ":1\r\n"),
        (&["zadd", "{t}w", "2", "b"], ":1\r\n"),
        (&["ttl", "{t}w"], ":100\r\n"),
        (&["zincrby", "{t}w", "1", "a"], "$1\r\n2\r\n"),
        (&["ttl", "{t}w"], ":100\r\n"),
        (&["zrem", "{t}w", "a"], ":1\r\n"),
        (&["ttl", "{t}w"], ":100\r\n"),
        (&["zpopmin", "{t}w"], "*2\r\n$1\r\nb\r\n$1\r\n2\r\n"),
        (&["exists", "{t}w"], ":0\r\n"),
        (&["zadd", "{t}w", "1", "a"], ":1\r\n"),
        (&["expire", "{t}w", "100"], ":1\r\n"),
        (&["zrangestore", "{t}w", "{t}nokey", "0", "-1"], ":0\r\n"),
        (&["exists", "{t}w"], ":0\r\n"),
        (&["zadd", "{t}src", "1", "a"], ":1\r\n"),
        (&["set", "{t}w", "str"], "+OK\r\n"),
        (&["expire", "{t}w", "100"], ":1\r\n"),
        (&["zunionstore", "{t}w", "1", "{t}src"], ":1\r\n"),
        (&["ttl", "{t}w"], ":-1\r\n"),
        (&["type", "{t}w"], "+zset\r\n"),
    ]);
}

/// ZRANDMEMBER's random choices: distinct members for a positive count, repetitions allowed for
/// a negative one, every member reachable.
#[test]
fn randmember_picks_members() {
    let s = Server::start(&[]);
    let mut c = s.client();
    let members: Vec<String> = (0..200).map(|i| format!("m{i}")).collect();
    for (i, m) in members.iter().enumerate() {
        let _: i64 = redis::cmd("ZADD")
            .arg("z")
            .arg(i)
            .arg(m)
            .query(&mut c)
            .unwrap();
    }
    let got: Vec<String> = redis::cmd("ZRANDMEMBER")
        .arg("z")
        .arg(50)
        .query(&mut c)
        .unwrap();
    let mut d = got.clone();
    d.sort();
    d.dedup();
    assert_eq!((got.len(), d.len()), (50, 50));
    assert!(got.iter().all(|m| members.contains(m)));
    let all: Vec<String> = redis::cmd("ZRANDMEMBER")
        .arg("z")
        .arg(500)
        .query(&mut c)
        .unwrap();
    assert_eq!(all.len(), 200);
    let neg: Vec<String> = redis::cmd("ZRANDMEMBER")
        .arg("z")
        .arg(-500)
        .query(&mut c)
        .unwrap();
    assert_eq!(neg.len(), 500);
    let ws: Vec<String> = redis::cmd("ZRANDMEMBER")
        .arg("z")
        .arg(3)
        .arg("WITHSCORES")
        .query(&mut c)
        .unwrap();
    assert_eq!(ws.len(), 6);
    for p in ws.chunks(2) {
        assert_eq!(format!("m{}", p[1]), p[0]);
    }
    let one: String = redis::cmd("ZRANDMEMBER").arg("z").query(&mut c).unwrap();
    assert!(members.contains(&one));
}

/// A large (skiplist) set keeps order, ranks and ranges through many updates; ZSCAN returns
/// every member.
#[test]
fn big_sets_keep_order_and_ranks() {
    let s = Server::start(&[]);
    let mut c = s.client();
    let n = 1000i64;
    for i in 0..n {
        let _: i64 = redis::cmd("ZADD")
            .arg("z")
            .arg((i * 7919) % n)
            .arg(format!("m{i}"))
            .query(&mut c)
            .unwrap();
    }
    let enc: String = redis::cmd("OBJECT")
        .arg("ENCODING")
        .arg("z")
        .query(&mut c)
        .unwrap();
    assert_eq!(enc, "skiplist");
    let all: Vec<String> = redis::cmd("ZRANGE")
        .arg("z")
        .arg(0)
        .arg(-1)
        .query(&mut c)
        .unwrap();
    assert_eq!(all.len(), n as usize);
    for (rank, m) in all.iter().enumerate().step_by(97) {
        let r: i64 = redis::cmd("ZRANK").arg("z").arg(m).query(&mut c).unwrap();
        assert_eq!(r, rank as i64);
        let rr: i64 = redis::cmd("ZREVRANK")
            .arg("z")
            .arg(m)
            .query(&mut c)
            .unwrap();
        assert_eq!(rr, n - 1 - rank as i64);
        let sc: f64 = redis::cmd("ZSCORE").arg("z").arg(m).query(&mut c).unwrap();
        assert_eq!(sc, rank as f64);
    }
    let cnt: i64 = redis::cmd("ZCOUNT")
        .arg("z")
        .arg(100)
        .arg("(200")
        .query(&mut c)
        .unwrap();
    assert_eq!(cnt, 100);
    let page: Vec<String> = redis::cmd("ZRANGEBYSCORE")
        .arg("z")
        .arg(500)
        .arg("+inf")
        .arg("LIMIT")
        .arg(10)
        .arg(3)
        .query(&mut c)
        .unwrap();
    assert_eq!(page, all[510..513].to_vec());
    let removed: i64 = redis::cmd("ZREMRANGEBYSCORE")
        .arg("z")
        .arg(0)
        .arg(99)
        .query(&mut c)
        .unwrap();
    assert_eq!(removed, 100);
    let first: Vec<String> = redis::cmd("ZRANGE")
        .arg("z")
        .arg(0)
        .arg(0)
        .query(&mut c)
        .unwrap();
    assert_eq!(first, vec![all[100].clone()]);
    let mut seen = std::collections::HashSet::new();
    let mut cursor = "0".to_string();
    for _ in 0..10_000 {
        let (next, items): (String, Vec<String>) = redis::cmd("ZSCAN")
            .arg("z")
            .arg(&cursor)
            .query(&mut c)
            .unwrap();
        for p in items.chunks(2) {
            seen.insert(p[0].clone());
        }
        cursor = next;
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), (n - 100) as usize);
}

/// ZADD `key` members `{prefix}{i}` with score `i / 10` for `i` in `range`.
fn zadd_range(r: &mut redis::Connection, key: &str, prefix: &str, range: std::ops::Range<usize>) {
    let mut cmd = redis::cmd("ZADD");
    cmd.arg(key);
    for i in range {
        cmd.arg(i as f64 / 10.0).arg(format!("{prefix}{i}"));
    }
    let _: i64 = cmd.query(r).unwrap();
}

#[test]
fn zscan_walks_a_skiplist_incrementally() {
    let s = Server::start(&[]);
    let mut r = s.client();
    zadd_range(&mut r, "big", "m", 0..1000);
    let (items, calls) = scan_collection(&mut r, "ZSCAN", "big", &["COUNT", "10"], |_, _| {});
    assert!(calls > 10, "COUNT 10 over 1000 members took {calls} calls");
    let seen: std::collections::BTreeMap<String, String> = items
        .chunks(2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect();
    assert_eq!(seen.len(), 1000);
    // Scores are `%.17g`, as Redis prints them.
    assert_eq!(seen["m1"], "0.10000000000000001");
    assert_eq!(seen["m20"], "2");
    let (items, _) = scan_collection(
        &mut r,
        "ZSCAN",
        "big",
        &["MATCH", "m5?", "COUNT", "10"],
        |_, _| {},
    );
    let got: std::collections::BTreeSet<String> = items.chunks(2).map(|p| p[0].clone()).collect();
    assert_eq!(got, (50..60).map(|i| format!("m{i}")).collect());
    let mut c = s.raw();
    c.ex("ZSCAN big abc", "-ERR invalid cursor\r\n");
    c.ex("ZSCAN nokey abc", "-ERR invalid cursor\r\n");
    c.ex("ZSCAN nokey 0 FOO", "*2\r\n$1\r\n0\r\n*0\r\n");
    c.ex("ZSCAN big 0 COUNT 0", SYNTAX);
    // A listpack comes whole.
    zadd_range(&mut r, "small", "m", 0..100);
    let (items, calls) = scan_collection(&mut r, "ZSCAN", "small", &["COUNT", "10"], |_, _| {});
    assert_eq!((calls, items.len()), (1, 200));
}

#[test]
fn zscan_returns_members_present_throughout_while_the_set_changes() {
    let s = Server::start(&[]);
    let mut r = s.client();
    zadd_range(&mut r, "z", "keep", 0..600);
    zadd_range(&mut r, "z", "tmp", 0..600);
    let (items, _) = scan_collection(&mut r, "ZSCAN", "z", &["COUNT", "10"], |r, step| {
        // Remove and add members, and move kept ones to other scores.
        let mut del = redis::cmd("ZREM");
        del.arg("z");
        for j in 0..6 {
            del.arg(format!("tmp{}", (step * 6 + j) % 600));
        }
        let _: i64 = del.query(r).unwrap();
        zadd_range(r, "z", &format!("new{step}-"), 0..6);
        let _: f64 = redis::cmd("ZINCRBY")
            .arg("z")
            .arg(-1000)
            .arg(format!("keep{}", (step * 37) % 600))
            .query(r)
            .unwrap();
    });
    let seen: std::collections::BTreeSet<String> = items.chunks(2).map(|p| p[0].clone()).collect();
    for i in 0..600 {
        assert!(seen.contains(&format!("keep{i}")), "keep{i} missed");
    }
}

/// A set of thousands of members (a tree several levels deep) moved about by ZADD, ZINCRBY,
/// ZREM, ZREMRANGEBYRANK and the pops answers ZRANGE from both ends, ZRANK and ZPOPMAX as a
/// sorted model does.
#[test]
fn a_big_set_moved_about_answers_like_a_sorted_model() {
    let s = Server::start(&[]);
    let mut c = s.client();
    let mut model: Vec<(i64, String)> = Vec::new();
    let mut x: u64 = 42;
    let mut next = |n: u64| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) % n
    };
    let mut p = redis::pipe();
    for i in 0..6000 {
        let (sc, m) = (next(500) as i64, format!("m{}", next(8000)));
        match i % 7 {
            0 if model.iter().any(|e| e.1 == m) => {
                p.cmd("ZREM").arg("z").arg(&m).ignore();
                model.retain(|e| e.1 != m);
            }
            1 if model.iter().any(|e| e.1 == m) => {
                p.cmd("ZINCRBY").arg("z").arg(3).arg(&m).ignore();
                model.iter_mut().find(|e| e.1 == m).unwrap().0 += 3;
            }
            _ => {
                p.cmd("ZADD").arg("z").arg(sc).arg(&m).ignore();
                model.retain(|e| e.1 != m);
                model.push((sc, m));
            }
        }
    }
    let () = p.query(&mut c).unwrap();
    model.sort();
    let removed: usize = redis::cmd("ZREMRANGEBYRANK")
        .arg("z")
        .arg(1000)
        .arg(1499)
        .query(&mut c)
        .unwrap();
    assert_eq!(removed, 500);
    model.drain(1000..1500);
    let popped: Vec<(String, i64)> = redis::cmd("ZPOPMAX")
        .arg("z")
        .arg(40)
        .query(&mut c)
        .unwrap();
    let want: Vec<(String, i64)> = model
        .drain(model.len() - 40..)
        .rev()
        .map(|(s, m)| (m, s))
        .collect();
    assert_eq!(popped, want);
    let popped: Vec<(String, i64)> = redis::cmd("ZPOPMIN")
        .arg("z")
        .arg(40)
        .query(&mut c)
        .unwrap();
    let want: Vec<(String, i64)> = model.drain(..40).map(|(s, m)| (m, s)).collect();
    assert_eq!(popped, want);
    let all: Vec<(String, i64)> = redis::cmd("ZRANGE")
        .arg("z")
        .arg(0)
        .arg(-1)
        .arg("WITHSCORES")
        .query(&mut c)
        .unwrap();
    assert!(all.len() > 3000, "{} members", all.len());
    assert!(all
        .iter()
        .map(|(m, s)| (*s, m))
        .eq(model.iter().map(|(s, m)| (*s, m))));
    let back: Vec<String> = redis::cmd("ZREVRANGE")
        .arg("z")
        .arg(10)
        .arg(1209)
        .query(&mut c)
        .unwrap();
    let n = model.len();
    assert!(back
        .iter()
        .eq(model[n - 1210..n - 10].iter().rev().map(|e| &e.1)));
    let page: Vec<String> = redis::cmd("ZRANGE")
        .arg("z")
        .arg("+inf")
        .arg(100)
        .arg("BYSCORE")
        .arg("REV")
        .arg("LIMIT")
        .arg(7)
        .arg(300)
        .query(&mut c)
        .unwrap();
    let want: Vec<&String> = model
        .iter()
        .rev()
        .filter(|e| e.0 >= 100)
        .skip(7)
        .take(300)
        .map(|e| &e.1)
        .collect();
    assert!(page.iter().eq(want));
    for (rank, (_, m)) in model.iter().enumerate().step_by(211) {
        let r: usize = redis::cmd("ZRANK").arg("z").arg(m).query(&mut c).unwrap();
        assert_eq!(r, rank, "{m}");
    }
}
