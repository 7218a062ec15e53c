mod support;
use support::*;

#[test]
fn ping_replies_pong() {
    let s = Server::start(&[]);
    let mut c = s.client();
    let r: String = redis::cmd("PING").query(&mut c).unwrap();
    assert_eq!(r, "PONG");
}
