use super::*;

struct Echo;

impl Service for Echo {
    fn handle(self: Arc<Self>, origin: Origin, body: serde_json::Value) -> Answer {
        Box::pin(async move { serde_json::json!({"from": origin.from, "body": body}) })
    }
}

async fn pair() -> (Arc<Bus>, Arc<Bus>, Arc<dyn Service>) {
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let a = Bus::bind(any, "a".into(), 1).await.unwrap();
    let b = Bus::bind(any, "b".into(), 1).await.unwrap();
    let svc: Arc<dyn Service> = Arc::new(Echo);
    a.set_service(Arc::downgrade(&svc));
    b.set_service(Arc::downgrade(&svc));
    (a, b, svc)
}

#[tokio::test]
async fn requests_are_answered_and_the_sender_is_heard() {
    let (a, b, _svc) = pair().await;
    let t = Duration::from_secs(2);
    let r = a
        .call(b.local_addr(), serde_json::json!(42), false, t)
        .await
        .unwrap();
    assert_eq!(r, serde_json::json!({"from": "a", "body": 42}));
    assert!(b.heard().contains_key("a"));
    assert!(a.heard().contains_key("b"));
    assert_eq!(a.links().len(), 1);
}

#[tokio::test]
async fn another_group_is_ignored_unless_the_request_allows_it() {
    let (a, b, _svc) = pair().await;
    b.set_group(2);
    let t = Duration::from_millis(300);
    let e = a.call(b.local_addr(), serde_json::json!(1), false, t).await;
    assert!(e.unwrap_err().contains("timeout"));
    let r = a.call(b.local_addr(), serde_json::json!(1), true, t).await;
    assert!(r.is_ok());
    assert!(!b.heard().contains_key("a"));
}

#[tokio::test]
async fn isolation_drops_traffic_both_ways() {
    let (a, b, _svc) = pair().await;
    let t = Duration::from_millis(300);
    b.set_isolated(true);
    assert!(a
        .call(b.local_addr(), serde_json::json!(1), false, t)
        .await
        .is_err());
    assert!(b
        .call(a.local_addr(), serde_json::json!(1), false, t)
        .await
        .is_err());
    b.set_isolated(false);
    assert!(a
        .call(b.local_addr(), serde_json::json!(1), false, t)
        .await
        .is_ok());
}

#[tokio::test]
async fn a_bad_frame_closes_only_that_connection() {
    let (a, b, _svc) = pair().await;
    let mut s = TcpStream::connect(b.local_addr()).await.unwrap();
    s.write_all(&[0xff, 0xff, 0xff, 0xff]).await.unwrap();
    let mut buf = [0u8; 1];
    let n = tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf))
        .await
        .unwrap()
        .unwrap_or(0);
    assert_eq!(n, 0, "oversized frame closes the connection");
    let mut s = TcpStream::connect(b.local_addr()).await.unwrap();
    s.write_all(&[0, 0, 0, 3, b'x', b'y', b'z']).await.unwrap();
    let n = tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf))
        .await
        .unwrap()
        .unwrap_or(0);
    assert_eq!(n, 0, "bad JSON closes the connection");
    let t = Duration::from_secs(2);
    assert!(a
        .call(b.local_addr(), serde_json::json!(1), false, t)
        .await
        .is_ok());
}

#[tokio::test]
async fn an_unreachable_address_fails_within_the_timeout() {
    let (a, _b, _svc) = pair().await;
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let t0 = Instant::now();
    let r = a
        .call(
            dead,
            serde_json::json!(1),
            false,
            Duration::from_millis(500),
        )
        .await;
    assert!(r.is_err());
    assert!(t0.elapsed() < Duration::from_millis(800));
}

#[tokio::test]
async fn a_frame_is_read_only_as_far_as_its_bytes_arrived() {
    // Announces MAX_FRAME bytes, sends three: no frame, and no 64 MB buffer up front.
    let mut data = (MAX_FRAME as u32).to_be_bytes().to_vec();
    data.extend_from_slice(b"{}}");
    let mut r: &[u8] = &data;
    assert!(read_frame(&mut r).await.is_none());
    // Over the limit: refused without reading on.
    let mut big: &[u8] = &((MAX_FRAME as u32) + 1).to_be_bytes();
    assert!(read_frame(&mut big).await.is_none());
}
