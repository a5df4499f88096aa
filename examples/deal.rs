//! Deals a fresh secret 2-of-3 to a device, a key server and a recovery card, then
//! recovers it from every pair and shows that one share alone is refused.
//!
//! Run with `cargo run --example deal`.

use quorumkey::sharing::{HolderId, Secret, Threshold, combine, deal};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = rand::rng();
    let holders = [
        ("device", HolderId::new(1)?),
        ("key server", HolderId::new(2)?),
        ("recovery card", HolderId::new(3)?),
    ];
    let ids: Vec<HolderId> = holders.iter().map(|&(_, id)| id).collect();

    let secret = Secret::random(&mut rng);
    let (shares, commitments) = deal(&secret, Threshold::new(2)?, &ids, &mut rng)?;

    for ((name, _), share) in holders.iter().zip(&shares) {
        // Share values are secret: print only whose share it is.
        println!("share for {name}: holder id {}", share.id());
    }
    println!(
        "commitments (t = {}): {}",
        commitments.threshold(),
        hex::encode(commitments.to_bytes())
    );

    for a in 0..shares.len() {
        for b in a + 1..shares.len() {
            let pair = [shares[a].clone(), shares[b].clone()];
            let recovered = combine(&commitments, &pair, &mut rng)?;
            if recovered != secret {
                return Err("recovered a different secret".into());
            }
            println!(
                "recovered from {{{},{}}}: ok",
                shares[a].id(),
                shares[b].id()
            );
        }
    }

    match combine(&commitments, &shares[..1], &mut rng) {
        Ok(_) => Err("a single share must not open the secret".into()),
        Err(error) => {
            println!("a single share is refused: {error} ({error:?})");
            Ok(())
        }
    }
}
