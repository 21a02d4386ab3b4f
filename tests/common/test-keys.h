/* Test helper: fresh P-256 key pairs as PEM strings (OpenSSL 3), so no key is
 * ever committed. Free both with free(). */
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

static inline char *test_bio_string(BIO *b)
{
        char *data;
        long len = BIO_get_mem_data(b, &data);
        char *s = strndup(data, (size_t)len);
        BIO_free(b);
        return s;
}

static inline int test_p256_keypair(char **ret_private_pem, char **ret_public_pem)
{
        EVP_PKEY *pk = EVP_EC_gen("P-256");
        if (!pk)
                return -1;
        BIO *priv = BIO_new(BIO_s_mem()), *pub = BIO_new(BIO_s_mem());
        PEM_write_bio_PrivateKey(priv, pk, NULL, NULL, 0, NULL, NULL);
        PEM_write_bio_PUBKEY(pub, pk);
        EVP_PKEY_free(pk);
        *ret_private_pem = test_bio_string(priv);
        *ret_public_pem = test_bio_string(pub);
        return 0;
}
