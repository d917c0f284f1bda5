//! What a hostile tester found in the engine: a file rewritten while its one PUT is under way,
//! a server that refuses a file as too large without saying its limit, a file Wix keeps PENDING.

use super::support::{Env, random_file, start_and_add};

/// A server that refuses a file as too large (413) without a `Tus-Max-Size` (as Wix): the
/// message says what the server said, never "larger than the server accepts (0 B)".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_over_a_limit_the_server_never_stated_is_refused_in_its_words() {
    // The `wix` profile states no Tus-Max-Size in OPTIONS, and refuses a bigger creation.
    let env = Env::start_with(|c| c.max_size_bytes = 1 << 20).await;
    let file = random_file(env.dir.path(), "big.bin", 2 << 20);
    // By one PUT first (refused, then resumably) and resumably at once.
    for cfg in [env.engine_config("data"), env.tus_engine_config("tus")] {
        let (handle, mut events, ids) = start_and_add(cfg, vec![file.clone()]).await;
        let outcomes = events.finish(&ids, 30).await;
        let e = outcomes[0].failed();
        assert!(!e.message.contains("0 B"), "{e:?}");
        assert!(
            e.message.contains("413") && e.message.contains("larger than Tus-Max-Size"),
            "the server's words: {e:?}"
        );
        handle.shutdown().await;
    }
}
