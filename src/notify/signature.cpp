#include "notify/signature.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

#include "core/hex.hpp"

namespace confab::notify {

std::string hmac_sha256_hex(std::string_view key, std::string_view body) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    // HMAC() reads the key through a pointer even when it is empty: never pass nullptr.
    static const unsigned char kNoKey = 0;
    const void* key_bytes = key.empty() ? &kNoKey : static_cast<const void*>(key.data());
    if (HMAC(EVP_sha256(), key_bytes, static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac,
             &mac_len) == nullptr) {
        // Only an OpenSSL without SHA-256 gets here: nothing to sign with is a broken install.
        throw std::runtime_error("HMAC-SHA256 is unavailable in this OpenSSL");
    }
    std::string hex;
    append_hex(hex, mac, mac_len);
    return hex;
}

std::string signature_value(std::string_view secret, std::string_view body) {
    return "sha256=" + hmac_sha256_hex(secret, body);
}

}  // namespace confab::notify
