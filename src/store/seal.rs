//! XChaCha20-Poly1305 encryption of a large payload on two threads: the same construction
//! and the same bytes as the `chacha20poly1305` crate's `XChaCha20Poly1305` (RFC 8439 §2.8
//! with XChaCha20's 24-byte nonce), which `format::open` decrypts.
//!
//! The keystream is XORed into two parts of the buffer at once: the second part on a
//! thread of its own, its ChaCha20 counter moved to where that part starts. Poly1305 is one
//! sequential pass over the ciphertext in order, so the calling thread, once its part is
//! encrypted, authenticates it while the other thread may still be encrypting, then the
//! rest. At 10 000 keys (a 9 MB payload) this takes about half of the encryption's
//! time off a save.

use chacha20::XChaCha20;
use chacha20::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};
use poly1305::Poly1305;
use poly1305::universal_hash::{KeyInit, UniversalHash};
use zeroize::Zeroizing;

/// Bytes of one ChaCha20 block: block 0 makes the Poly1305 key, the message starts at block 1.
const BLOCK: usize = 64;

/// Below this a second thread costs more than it saves; the crate's one-thread path seals.
pub(super) const PARALLEL_FROM: usize = 256 * 1024;

/// Why sealing failed: the message is longer than ChaCha20's 32-bit block counter reaches.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct TooLong;

/// Encrypts `buffer` in place under `key` and `nonce` with `aad` authenticated, and returns
/// the 16-byte tag: `XChaCha20Poly1305::encrypt_in_place_detached`, on two threads.
pub(super) fn encrypt_in_place_detached(
    key: &[u8; 32],
    nonce: &[u8; 24],
    aad: &[u8],
    buffer: &mut [u8],
) -> Result<[u8; 16], TooLong> {
    if buffer.len() / BLOCK >= u32::MAX as usize {
        return Err(TooLong);
    }
    let mut cipher = XChaCha20::new(key.into(), nonce.into());
    let mut mac_key = Zeroizing::new([0u8; 32]);
    cipher.apply_keystream(&mut mac_key[..]);
    let mut mac = Poly1305::new((&*mac_key).into());
    cipher.seek(BLOCK as u64);

    // The first part ends on a block boundary, so the second part's counter is a whole
    // number of blocks on, and the first part needs no Poly1305 padding of its own. It is
    // the smaller one (2/5): this thread also runs Poly1305 over all of it, which takes about
    // 0.4 of the keystream's time, so both threads finish their keystream work together.
    let middle = buffer.len() / 5 * 2 / BLOCK * BLOCK;
    let (first, second) = buffer.split_at_mut(middle);
    super::halves::run_both(
        "keyward-seal",
        || {
            cipher.apply_keystream(first);
            authenticate_aad_then(&mut mac, aad, first);
        },
        || {
            let mut rest = XChaCha20::new(key.into(), nonce.into());
            rest.seek((BLOCK + middle) as u64);
            rest.apply_keystream(&mut *second);
        },
    );
    mac.update_padded(second);
    let mut lengths = [0u8; 16];
    lengths[..8].copy_from_slice(&(aad.len() as u64).to_le_bytes());
    lengths[8..].copy_from_slice(&(buffer.len() as u64).to_le_bytes());
    mac.update_padded(&lengths);
    Ok(mac.finalize().into())
}

/// Poly1305 over the padded `aad`, then over `first` (a whole number of 16-byte blocks).
/// The MAC input is the same sequence of blocks however it is handed over, but poly1305's
/// AVX2 code runs about 30 % slower over everything after an update that leaves it between
/// its four-block groups (the 80-byte header is five blocks): so the header goes in together
/// with the ciphertext blocks that complete its last group.
fn authenticate_aad_then(mac: &mut Poly1305, aad: &[u8], first: &[u8]) {
    const GROUP: usize = 64;
    let fill = (GROUP - aad.len() % GROUP) % GROUP;
    if !aad.len().is_multiple_of(16) || aad.len() + fill > 2 * GROUP || first.len() < fill {
        mac.update_padded(aad);
        mac.update_padded(first);
        return;
    }
    let mut head = Zeroizing::new([0u8; 2 * GROUP]);
    head[..aad.len()].copy_from_slice(aad);
    head[aad.len()..aad.len() + fill].copy_from_slice(&first[..fill]);
    mac.update_padded(&head[..aad.len() + fill]);
    mac.update_padded(&first[fill..]);
}

#[cfg(test)]
mod tests {
    use chacha20poly1305::aead::{AeadInOut, KeyInit};
    use chacha20poly1305::{XChaCha20Poly1305, XNonce};

    use super::*;

    fn pattern(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect()
    }

    /// The crate's `XChaCha20Poly1305`, one thread: the reference.
    fn reference(key: &[u8; 32], nonce: &[u8; 24], aad: &[u8], plain: &[u8]) -> Vec<u8> {
        let mut buffer = plain.to_vec();
        let tag = XChaCha20Poly1305::new_from_slice(key)
            .expect("key")
            .encrypt_inout_detached(&XNonce::from(*nonce), aad, (&mut buffer[..]).into())
            .expect("encrypt");
        buffer.extend_from_slice(&tag);
        buffer
    }

    #[test]
    fn gives_the_crates_bytes_for_every_length_around_the_block_boundaries() {
        let key = [7u8; 32];
        let nonce: [u8; 24] = std::array::from_fn(|i| i as u8 * 3);
        let aad = pattern(80, 200);
        for aad_len in [0, 3, 16, 64, 80, 96, 130] {
            let aad = pattern(aad_len, 9);
            let plain = pattern(300_000, 1);
            let mut ours = plain.clone();
            let tag = encrypt_in_place_detached(&key, &nonce, &aad, &mut ours).expect("seal");
            ours.extend_from_slice(&tag);
            assert_eq!(ours, reference(&key, &nonce, &aad, &plain), "aad {aad_len}");
        }
        let mut lengths = vec![0, 1, 15, 16, 17, 63, 64, 65, 127, 128, 129, 191, 192, 193];
        lengths.extend([1000, 4095, 4096, 4097, 65_536 + 17, 1 << 20, (1 << 20) + 41]);
        for len in lengths {
            let plain = pattern(len, len as u8);
            let mut ours = plain.clone();
            let tag = encrypt_in_place_detached(&key, &nonce, &aad, &mut ours).expect("seal");
            ours.extend_from_slice(&tag);
            assert_eq!(ours, reference(&key, &nonce, &aad, &plain), "length {len}");
        }
    }

    #[test]
    fn the_crate_opens_what_it_seals_and_refuses_a_flipped_bit_in_either_half() {
        let key = [9u8; 32];
        let nonce = [4u8; 24];
        let aad = b"header";
        let plain = pattern(300_001, 5);
        let mut sealed = plain.clone();
        let tag = encrypt_in_place_detached(&key, &nonce, aad, &mut sealed).expect("seal");
        let cipher = XChaCha20Poly1305::new_from_slice(&key).expect("key");
        let open = |bytes: &[u8], tag: &[u8; 16], aad: &[u8]| {
            let mut buffer = bytes.to_vec();
            cipher
                .decrypt_inout_detached(
                    &XNonce::from(nonce),
                    aad,
                    (&mut buffer[..]).into(),
                    &chacha20poly1305::Tag::from(*tag),
                )
                .map(|()| buffer)
        };
        assert_eq!(open(&sealed, &tag, aad).expect("opens"), plain);
        for at in [0, 150_000, 300_000] {
            let mut damaged = sealed.clone();
            damaged[at] ^= 1;
            assert!(open(&damaged, &tag, aad).is_err(), "bit flipped at {at}");
        }
        assert!(open(&sealed, &tag, b"Header").is_err());
    }
}
