//! A msgpack node and a text node in one Redis cluster (MSGPACK-1): the Redis adapter's
//! messages carry the packet model, not a client codec, so a broadcast from either reaches the
//! clients of both, each in its own parser's framing, binary included.
#![allow(missing_docs, clippy::unwrap_used)]

mod redis_common;

use std::net::SocketAddr;
use std::time::Duration;

use redis_common::sio_common::{with_timeout, Frame, SioWs};
use redis_common::{redis_available, RedisServer};
use socketio::{Args, Parser, Server, ServerConfig};
use socketio_redis::{RedisAdapter, RedisAdapterConfig};

const LIMIT: Duration = Duration::from_secs(60);

/// A node whose `relay` handler broadcasts its arguments to every node as `relayed`.
async fn node(redis: &str, parser: Parser) -> (Server, SocketAddr) {
    let io = Server::with_config(ServerConfig::builder().parser(parser).build());
    // Counting the nodes every 200 ms: the test waits until both see each other.
    let config =
        RedisAdapterConfig::default().with_server_count_interval(Duration::from_millis(200));
    io.set_adapter(RedisAdapter::with_config(redis, config).unwrap());
    let main = io.clone();
    io.on_connection(move |socket| {
        let main = main.clone();
        socket.on("relay", move |_s, args: Args, _ack| {
            let _ = main.emit("relayed", &args);
        });
    });
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    (io, addr)
}

async fn open(addr: SocketAddr) -> SioWs {
    let mut ws = SioWs::connect(addr, "/socket.io/?EIO=4&transport=websocket")
        .await
        .unwrap();
    let open = ws.recv().await;
    assert!(
        matches!(&open, Frame::Text(t) if t.starts_with('0')),
        "{open:?}"
    );
    ws
}

/// The next frame that is not an Engine.IO ping.
async fn next(ws: &mut SioWs) -> Frame {
    loop {
        match ws.recv().await {
            Frame::Text(t) if t == "2" => ws.send_text("3").await,
            other => return other,
        }
    }
}

/// `{type: 2, data: ["relayed", "x", <bin 01 02>], nsp: "/"}`
const RELAYED_MSGPACK: &[u8] =
    b"\x83\xa4type\x02\xa4data\x93\xa7relayed\xa1x\xc4\x02\x01\x02\xa3nsp\xa1/";
const RELAYED_TEXT: &str = r#"451-["relayed","x",{"_placeholder":true,"num":0}]"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn msgpack_and_text_nodes_share_a_cluster() {
    if !redis_available() {
        return;
    }
    with_timeout(LIMIT, async {
        let redis = RedisServer::start().await;
        let (a, a_addr) = node(&redis.url(), Parser::MsgPack).await;
        let (b, b_addr) = node(&redis.url(), Parser::Text).await;
        let until = std::time::Instant::now() + Duration::from_secs(30);
        while [&a, &b].iter().any(|io| io.of("/").adapter().server_count() < 2) {
            assert!(std::time::Instant::now() < until, "the nodes never saw each other");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        let mut packed = open(a_addr).await;
        packed.send_binary(b"\x82\xa4type\x00\xa3nsp\xa1/").await;
        assert!(matches!(next(&mut packed).await, Frame::Binary(b) if b.starts_with(b"\x83\xa4type\x00")));
        let mut text = open(b_addr).await;
        text.send_text("40").await;
        assert!(matches!(next(&mut text).await, Frame::Text(t) if t.starts_with("40{")));

        // From the text client, through the text node and Redis, to the msgpack client.
        text.send_text(r#"451-["relay","x",{"_placeholder":true,"num":0}]"#)
            .await;
        text.send_binary(&[1, 2]).await;
        assert_eq!(next(&mut packed).await, Frame::Binary(RELAYED_MSGPACK.to_vec()));
        assert_eq!(next(&mut text).await, Frame::Text(RELAYED_TEXT.to_owned()));
        assert_eq!(next(&mut text).await, Frame::Binary(vec![1, 2]));

        // And back: msgpack client, msgpack node, Redis, text client.
        packed
            .send_binary(b"\x83\xa4type\x02\xa4data\x93\xa5relay\xa1x\xc4\x02\x01\x02\xa3nsp\xa1/")
            .await;
        assert_eq!(next(&mut text).await, Frame::Text(RELAYED_TEXT.to_owned()));
        assert_eq!(next(&mut text).await, Frame::Binary(vec![1, 2]));
        assert_eq!(next(&mut packed).await, Frame::Binary(RELAYED_MSGPACK.to_vec()));
    })
    .await;
}
