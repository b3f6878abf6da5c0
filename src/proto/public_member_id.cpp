#include "proto/public_member_id.hpp"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>

#include "core/hex.hpp"

namespace confab::proto {

namespace {
// Domain separation: the same session id hashed for another purpose gives another value.
constexpr std::string_view kDomain = "confab.v1 member\n";
constexpr std::size_t kHexDigits = kPublicMemberIdSize - 2;
}  // namespace

std::string public_member_id(std::string_view session) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    const bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
                    EVP_DigestUpdate(ctx, kDomain.data(), kDomain.size()) == 1 &&
                    EVP_DigestUpdate(ctx, session.data(), session.size()) == 1 &&
                    EVP_DigestFinal_ex(ctx, digest, &digest_len) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok || digest_len * 2 < kHexDigits) {
        // Only an OpenSSL without SHA-256 (or out of memory) gets here: a broken install.
        // Falling back to anything derived otherwise would leak the credential or break
        // deduplication, so this must abort (STYLE.md, "Errors").
        std::fputs("confab: SHA-256 is unavailable in this OpenSSL\n", stderr);
        std::abort();
    }
    std::string id = "m-";
    append_hex(id, digest, kHexDigits / 2);
    return id;
}

}  // namespace confab::proto
