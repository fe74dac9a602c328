/*
 * t_quic.c - unit tests of common/quic.c, TAP output.
 *
 *   t_quic              the RFC 9001 and RFC 9369 Appendix A examples, then
 *                       hand-made frames and datagrams
 *   t_quic -c FILE      one line per UDP flow of a capture, for tests/quic.t:
 *                       client port, server port, version (hex), flags (hex),
 *                       Initials decrypted (client, server), client DCID,
 *                       then the server's and the client's contiguous CRYPTO
 *                       bytes in hex ("-" when none)
 *   t_quic -s DIR FILE  write each UDP flow of a capture as a seed of
 *                       tests/fuzz/fuzz_quic.c into DIR
 *
 * The client of a flow is the sender of its first packet; every packet of
 * a flow is fed, in capture order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "cap.h"
#include "pkt.h"
#include "quic.h"

#include "tap.h"

/* ------------------------------------------- RFC 9001 / RFC 9369 Appendix A */

static const char dcid_hex[] = "8394c8f03e515708";

/* A.2: the client's Initial, protected (1200 bytes). */
static const char v1_client[] =
	"c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11"
	"d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f399"
	"1c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c"
	"8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df6212"
	"30c83711b39343fa028cea7f7fb5ff89eac2308249a02252155e2347b63d58c5"
	"457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c208"
	"4dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec"
	"4e15daf8500a6ef69ec4e3feb6b1d98e610ac8b7ec3faf6ad760b7bad1db4ba3"
	"485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db"
	"059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c"
	"7b4378e846d29f37ed7b4ea9ec5d82e7961b7f25a9323851f681d582363aa5f8"
	"9937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556"
	"be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c74"
	"68449a13d8e3b95811a198f3491de3e7fe942b330407abf82a4ed7c1b311663a"
	"c69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00"
	"f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632"
	"291d6a418211cc2962e20fe47feb3edf330f2c603a9d48c0fcb5699dbfe58964"
	"25c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd"
	"14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ff"
	"ef132eef2fa09346aee33c28eb130ff28f5b766953334113211996d20011a198"
	"e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009dd"
	"c324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73"
	"203a4a13e96f5432ec0fd4a1ee65accdd5e3904df54c1da510b0ff20dcc0c77f"
	"cb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450e"
	"fc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03ade"
	"a2e1fbc5aa463d08ca19896d2bf59a071b851e6c239052172f296bfb5e724047"
	"90a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2"
	"162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f4"
	"40591f355e12d439ff150aab7613499dbd49adabc8676eef023b15b65bfc5ca0"
	"6948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e"
	"8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0"
	"be79e2fb8f5d5fbbe2e30ecadd220723c8c0aea8078cdfcb3868263ff8f09400"
	"54da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab"
	"760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9"
	"f96f3ca9ec1dde434da7d2d392b905ddf3d1f9af93d1af5950bd493f5aa731b4"
	"056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd4684064"
	"7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241"
	"e221af44860018ab0856972e194cd934";
/* A.3: the server's Initial, protected. */
static const char v1_server[] =
	"cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a"
	"5816b6394100f37a1c69797554780bb38cc5a99f5ede4cf73c3ec2493a1839b3"
	"dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84"
	"022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc4"
	"2158407dd074ee";
/* RFC 9369 A.2, A.3: the same packets in version 2. */
static const char v2_client[] =
	"d76b3343cf088394c8f03e5157080000449ea0c95e82ffe67b6abcdb4298b485"
	"dd04de806071bf03dceebfa162e75d6c96058bdbfb127cdfcbf903388e99ad04"
	"9f9a3dd4425ae4d0992cfff18ecf0fdb5a842d09747052f17ac2053d21f57c5d"
	"250f2c4f0e0202b70785b7946e992e58a59ac52dea6774d4f03b55545243cf1a"
	"12834e3f249a78d395e0d18f4d766004f1a2674802a747eaa901c3f10cda5500"
	"cb9122faa9f1df66c392079a1b40f0de1c6054196a11cbea40afb6ef5253cd68"
	"18f6625efce3b6def6ba7e4b37a40f7732e093daa7d52190935b8da58976ff33"
	"12ae50b187c1433c0f028edcc4c2838b6a9bfc226ca4b4530e7a4ccee1bfa2a3"
	"d396ae5a3fb512384b2fdd851f784a65e03f2c4fbe11a53c7777c023462239dd"
	"6f7521a3f6c7d5dd3ec9b3f233773d4b46d23cc375eb198c63301c21801f6520"
	"bcfb7966fc49b393f0061d974a2706df8c4a9449f11d7f3d2dcbb90c6b877045"
	"636e7c0c0fe4eb0f697545460c806910d2c355f1d253bc9d2452aaa549e27a1f"
	"ac7cf4ed77f322e8fa894b6a83810a34b361901751a6f5eb65a0326e07de7c12"
	"16ccce2d0193f958bb3850a833f7ae432b65bc5a53975c155aa4bcb4f7b2c4e5"
	"4df16efaf6ddea94e2c50b4cd1dfe06017e0e9d02900cffe1935e0491d77ffb4"
	"fdf85290fdd893d577b1131a610ef6a5c32b2ee0293617a37cbb08b847741c3b"
	"8017c25ca9052ca1079d8b78aebd47876d330a30f6a8c6d61dd1ab5589329de7"
	"14d19d61370f8149748c72f132f0fc99f34d766c6938597040d8f9e2bb522ff9"
	"9c63a344d6a2ae8aa8e51b7b90a4a806105fcbca31506c446151adfeceb51b91"
	"abfe43960977c87471cf9ad4074d30e10d6a7f03c63bd5d4317f68ff325ba3bd"
	"80bf4dc8b52a0ba031758022eb025cdd770b44d6d6cf0670f4e990b22347a7db"
	"848265e3e5eb72dfe8299ad7481a408322cac55786e52f633b2fb6b614eaed18"
	"d703dd84045a274ae8bfa73379661388d6991fe39b0d93debb41700b41f90a15"
	"c4d526250235ddcd6776fc77bc97e7a417ebcb31600d01e57f32162a8560cacc"
	"7e27a096d37a1a86952ec71bd89a3e9a30a2a26162984d7740f81193e8238e61"
	"f6b5b984d4d3dfa033c1bb7e4f0037febf406d91c0dccf32acf423cfa1e70710"
	"10d3f270121b493ce85054ef58bada42310138fe081adb04e2bd901f2f13458b"
	"3d6758158197107c14ebb193230cd1157380aa79cae1374a7c1e5bbcb80ee23e"
	"06ebfde206bfb0fcbc0edc4ebec309661bdd908d532eb0c6adc38b7ca7331dce"
	"8dfce39ab71e7c32d318d136b6100671a1ae6a6600e3899f31f0eed19e3417d1"
	"34b90c9058f8632c798d4490da4987307cba922d61c39805d072b589bd52fdf1"
	"e86215c2d54e6670e07383a27bbffb5addf47d66aa85a0c6f9f32e59d85a44dd"
	"5d3b22dc2be80919b490437ae4f36a0ae55edf1d0b5cb4e9a3ecabee93dfc6e3"
	"8d209d0fa6536d27a5d6fbb17641cde27525d61093f1b28072d111b2b4ae5f89"
	"d5974ee12e5cf7d5da4d6a31123041f33e61407e76cffcdcfd7e19ba58cf4b53"
	"6f4c4938ae79324dc402894b44faf8afbab35282ab659d13c93f70412e85cb19"
	"9a37ddec600545473cfb5a05e08d0b209973b2172b4d21fb69745a262ccde96b"
	"a18b2faa745b6fe189cf772a9f84cbfc";
static const char v2_server[] =
	"dc6b3343cf0008f067a5502a4262b5004075d92faaf16f05d8a4398c47089698"
	"baeea26b91eb761d9b89237bbf87263017915358230035f7fd3945d88965cf17"
	"f9af6e16886c61bfc703106fbaf3cb4cfa52382dd16a393e42757507698075b2"
	"c984c707f0a0812d8cd5a6881eaf21ceda98f4bd23f6fe1a3e2c43edd9ce7ca8"
	"4bed8521e2e140";
/* A.2: the start of the client's payload, a CRYPTO frame (the rest is PADDING). */
static const char client_frames[] =
	"060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
	"04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578"
	"616d706c652e636f6dff01000100000a00080006001d00170018001000070005"
	"04616c706e000500050100000000003300260024001d00209370b2c9caa47fba"
	"baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400"
	"0d0010000e0403050306030203080408050806002d00020101001c0002400100"
	"3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000"
	"75300901100f088394c8f03e51570806048000ffff";
/* A.3: the server's payload: ACK, then CRYPTO. */
static const char server_frames[] =
	"02000000000600405a020000560303eefce7f7b37ba1d1632e96677825ddf739"
	"88cfc79825df566dc5430b9a045a1200130100002e00330024001d00209d3c94"
	"0d89690b84d08a60993c144eca684d1081287c834d5311bcf32bb9da1a002b00"
	"020304";

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;

	for (; s[0] && s[1] && n < max; s += 2) {
		unsigned v;
		if (sscanf(s, "%2x", &v) != 1) break;
		out[n++] = (uint8_t)v;
	}
	return n;
}

static int same_hex(const uint8_t *p, size_t n, const char *hex)
{
	uint8_t want[2048];
	size_t m = unhex(hex, want, sizeof want);

	return m == n && memcmp(p, want, n) == 0;
}

/* A heap copy of exactly n bytes, so that ASan sees a read past the end. */
static uint8_t *dup(const uint8_t *p, size_t n)
{
	uint8_t *d = malloc(n ? n : 1);
	if (!d) abort();
	memcpy(d, p, n);
	return d;
}

static int feed(struct quic *q, const uint8_t *p, size_t n, int fc)
{
	uint8_t *d = dup(p, n);
	int rc = quic_feed(q, d, n, fc);
	free(d);
	return rc;
}

static void test_keys(void)
{
	uint8_t dcid[8];
	struct quic_keys c, s;

	unhex(dcid_hex, dcid, sizeof dcid);
	is(quic_initial_keys(QUIC_V1, dcid, 8, &c, &s), 0, "v1 keys derived");
	ok(same_hex(c.key, 16, "1f369613dd76d5467730efcbe3b1a22d"), "v1 client key (RFC 9001 A.1)");
	ok(same_hex(c.iv, 12, "fa044b2f42a3fd3b46fb255c"), "v1 client iv");
	ok(same_hex(c.hp, 16, "9f50449e04a0e810283a1e9933adedd2"), "v1 client hp");
	ok(same_hex(s.key, 16, "cf3a5331653c364c88f0f379b6067e37"), "v1 server key");
	ok(same_hex(s.iv, 12, "0ac1493ca1905853b0bba03e"), "v1 server iv");
	ok(same_hex(s.hp, 16, "c206b8d9b9f0f37644430b490eeaa314"), "v1 server hp");

	is(quic_initial_keys(QUIC_V2, dcid, 8, &c, &s), 0, "v2 keys derived");
	ok(same_hex(c.key, 16, "8b1a0bc121284290a29e0971b5cd045d"), "v2 client key (RFC 9369 A.1)");
	ok(same_hex(c.iv, 12, "91f73e2351d8fa91660e909f"), "v2 client iv");
	ok(same_hex(c.hp, 16, "45b95e15235d6f45a6b19cbcb0294ba9"), "v2 client hp");
	ok(same_hex(s.key, 16, "82db637861d55e1d011f19ea71d5d2a7"), "v2 server key");
	ok(same_hex(s.iv, 12, "dd13c276499c0249d3310652"), "v2 server iv");
	ok(same_hex(s.hp, 16, "edf6d05c83121201b436e16877593c3a"), "v2 server hp");

	/* One direction at a time (the module derives each when it needs
	 * it): the same keys, in either order, whatever came before. */
	struct quic_keys c1, s1;
	memset(&c1, 0, sizeof c1);
	memset(&s1, 0, sizeof s1);
	ok(quic_initial_keys(QUIC_V1, dcid, 8, NULL, &s1) == 0 &&
	    quic_initial_keys(QUIC_V1, dcid, 8, &c1, NULL) == 0 &&
	    same_hex(c1.key, 16, "1f369613dd76d5467730efcbe3b1a22d") &&
	    same_hex(c1.hp, 16, "9f50449e04a0e810283a1e9933adedd2") &&
	    same_hex(s1.key, 16, "cf3a5331653c364c88f0f379b6067e37") &&
	    same_hex(s1.hp, 16, "c206b8d9b9f0f37644430b490eeaa314"),
	    "v1 keys one direction at a time");
	ok(quic_initial_keys(QUIC_V2, dcid, 8, &c1, NULL) == 0 &&
	    quic_initial_keys(QUIC_V2, dcid, 8, NULL, &s1) == 0 && memcmp(&c1, &c, sizeof c) == 0 &&
	    memcmp(&s1, &s, sizeof s) == 0, "v2 keys one direction at a time");

	is(quic_initial_keys(0xff00001cu, dcid, 8, &c, &s), -1, "no keys for draft-28");
	is(quic_initial_keys(0xff000021u, dcid, 8, &c, &s), -1, "no keys for draft-33");
}

static void test_hp(void)
{
	uint8_t dcid[8], sample[16], mask[5];
	struct quic_keys c, s;

	unhex(dcid_hex, dcid, sizeof dcid);
	quic_initial_keys(QUIC_V1, dcid, 8, &c, &s);
	unhex("d1b1c98dd7689fb8ec11d242b123dc9b", sample, 16);
	is(quic_hp_mask(&c, sample, mask), 0, "v1 client header protection mask computed");
	ok(same_hex(mask, 5, "437b9aec36"), "v1 client mask (RFC 9001 A.2)");
	unhex("2cd0991cd25b0aac406a5816b6394100", sample, 16);
	quic_hp_mask(&s, sample, mask);
	ok(same_hex(mask, 5, "2ec0d8356a"), "v1 server mask (RFC 9001 A.3)");
}

/* The derivation's HMAC and HKDF on their own: RFC 4231 §4 (HMAC-SHA256;
 * test case 5's output is cut to 128 bits there), RFC 5869 Appendix A.1
 * to A.3 (HKDF-SHA256), then messages whose padding takes a block of its
 * own or ends one exactly (values from Python's hmac module). */
static void test_hmac(void)
{
	static const struct {
		const char *key, *data, *mac;  /* key and data in hex */
	} h[] = {
		{ "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
		  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
		{ "4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
		  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
		  "dddddddddddddddddddddddddddddddddddd",
		  "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
		{ "0102030405060708090a0b0c0d0e0f10111213141516171819",
		  "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
		  "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
		  "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
		{ "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c",
		  "546573742057697468205472756e636174696f6e",
		  "a3b6167473100ee06e0c796c2955552b" },
		{ NULL,
		  "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a"
		  "65204b6579202d2048617368204b6579204669727374",
		  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
		{ NULL,
		  "5468697320697320612074657374207573696e672061206c6172676572207468"
		  "616e20626c6f636b2d73697a65206b657920616e642061206c61726765722074"
		  "68616e20626c6f636b2d73697a6520646174612e20546865206b6579206e6565"
		  "647320746f20626520686173686564206265666f7265206265696e6720757365"
		  "642062792074686520484d414320616c676f726974686d2e",
		  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
	};
	uint8_t key[131], data[256], mac[32];

	for (size_t i = 0; i < sizeof h / sizeof h[0]; i++) {
		size_t kl = sizeof key, dl = unhex(h[i].data, data, sizeof data);
		if (h[i].key) kl = unhex(h[i].key, key, sizeof key);
		else memset(key, 0xaa, kl);  /* test cases 6 and 7: a 131-byte key */
		quic_hmac_sha256(key, kl, data, dl, mac);
		ok(same_hex(mac, strlen(h[i].mac) / 2, h[i].mac),
		    "HMAC-SHA256 RFC 4231 test case %zu", i + 1);
	}

	static const struct {
		size_t n;
		const char *mac;
	} edge[] = {
		{ 55, "5c753ac4cf15a28e7b5a045ba8ce75e02545a313f326021d770912f768fb53ef" },
		{ 56, "e9613a403652aa5873dba8b56f223826236e87559a8d8ac63190613796d2319a" },
		{ 63, "c5531cccae97b1a3e84ffd19fb9468e928c41d6acb9279cf4bac4aaf314196ae" },
		{ 64, "77207571ea4243ad8e0f220679a62f9033b6d2f59f8d44517d8e9c4857b96fa0" },
		{ 119, "4ffbedd6a1157e63e62d3fa284549bcfe39fb98dbb77ac48a89120aed5747d6b" },
		{ 120, "d1cd515a6389be4c26cf09c03af5b128fe8fcc95992b8e2bae38bef7e54b3ef1" },
	};
	memset(data, 'a', sizeof data);
	for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) {
		quic_hmac_sha256((const uint8_t *)"key", 3, data, edge[i].n, mac);
		ok(same_hex(mac, 32, edge[i].mac), "HMAC-SHA256 of %zu bytes", edge[i].n);
	}

	uint8_t ikm[80], salt[80], info[80], okm[82];
	for (int i = 0; i < 80; i++) {
		ikm[i] = (uint8_t)i;
		salt[i] = (uint8_t)(0x60 + i);
		info[i] = (uint8_t)(0xb0 + i);
	}
	uint8_t ikm1[22], salt1[13], info1[10];
	memset(ikm1, 0x0b, sizeof ikm1);
	for (int i = 0; i < 13; i++) salt1[i] = (uint8_t)i;
	for (int i = 0; i < 10; i++) info1[i] = (uint8_t)(0xf0 + i);
	ok(quic_hkdf_sha256(salt1, 13, ikm1, 22, info1, 10, okm, 42) == 0 &&
	    same_hex(okm, 42, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
	    "34007208d5b887185865"),
	    "HKDF-SHA256 RFC 5869 test case 1");
	ok(quic_hkdf_sha256(salt, 80, ikm, 80, info, 80, okm, 82) == 0 &&
	    same_hex(okm, 82, "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
	    "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
	    "cc30c58179ec3e87c14c01d5c1f3434f1d87"),
	    "HKDF-SHA256 RFC 5869 test case 2");
	ok(quic_hkdf_sha256(NULL, 0, ikm1, 22, NULL, 0, okm, 42) == 0 &&
	    same_hex(okm, 42, "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
	    "9d201395faa4b61a96c8"),
	    "HKDF-SHA256 RFC 5869 test case 3");
	is(quic_hkdf_sha256(salt1, 13, ikm1, 22, info1, 10, okm, 255 * 32 + 1), -1,
	    "HKDF-SHA256: at most 255 blocks");
}

/* The client's and the server's Initial of an Appendix, end to end. */
static void test_packets(const char *name, uint32_t version, const char *chex, const char *shex,
    const char *chdr, const char *shdr)
{
	uint8_t cpkt[1200], spkt[200], want[300];
	size_t cn = unhex(chex, cpkt, sizeof cpkt), sn = unhex(shex, spkt, sizeof spkt);
	struct quic q;
	struct quic_info in;
	const uint8_t *p;
	unsigned fl;
	size_t n;

	/* Protection: the Appendix's header and payload protect to its packets. */
	uint8_t dcid[8], sealed[1200];
	struct quic_keys ck, sk;
	unhex(dcid_hex, dcid, sizeof dcid);
	quic_initial_keys(version, dcid, 8, &ck, &sk);
	memset(sealed, 0, sizeof sealed);
	size_t h = unhex(chdr, sealed, sizeof sealed);
	unhex(client_frames, sealed + h, sizeof sealed - h);
	ok(quic_protect(&ck, sealed, h - 4, 1200, 2) == 0 && memcmp(sealed, cpkt, 1200) == 0,
	    "%s: the client's Initial protects to the Appendix's bytes", name);
	h = unhex(shdr, sealed, sizeof sealed);
	unhex(server_frames, sealed + h, sizeof sealed - h);
	ok(quic_protect(&sk, sealed, h - 2, sn, 1) == 0 && memcmp(sealed, spkt, sn) == 0,
	    "%s: the server's Initial protects to the Appendix's bytes", name);

	quic_init(&q, 0);
	is(feed(&q, cpkt, cn, 1), 1, "%s: the client's Initial decrypts", name);
	n = quic_crypto(&q, 1, &p, &fl);
	unhex(client_frames, want, sizeof want);
	is(n, 241, "%s: 241 CRYPTO bytes from the client", name);
	ok(n == 241 && memcmp(p, want + 4, 241) == 0, "%s: they are the ClientHello", name);
	is(fl, 0, "%s: no gap, no budget", name);
	ok(quic_hello_done(&q, 1), "%s: the ClientHello is whole", name);
	ok(!quic_hello_done(&q, 0), "%s: nothing from the server yet", name);

	is(feed(&q, spkt, sn, 0), 1, "%s: the server's Initial decrypts", name);
	n = quic_crypto(&q, 0, &p, &fl);
	unhex(server_frames, want, sizeof want);
	is(n, 90, "%s: 90 CRYPTO bytes from the server", name);
	ok(n == 90 && memcmp(p, want + 9, 90) == 0, "%s: they are the ServerHello", name);
	static const uint8_t short_hdr[] = { 0x41, 0xf0, 0x67, 0xa5, 0x50, 0x2a, 0x42, 0x62, 0xb5, 1, 2, 3 };
	is(feed(&q, short_hdr, sizeof short_hdr, 1), -1, "%s: a later 1-RTT datagram: no long header", name);
	quic_info(&q, &in);
	is(in.version, version, "%s: version", name);
	ok(in.dcid_len == 8 && same_hex(in.dcid, 8, dcid_hex), "%s: client DCID", name);
	is(in.scid_len, 0, "%s: empty client SCID", name);
	ok(in.server_scid_len == 8 && same_hex(in.server_scid, 8, "f067a5502a4262b5"),
	    "%s: server SCID", name);
	is(in.initials[1], 1, "%s: one client Initial", name);
	is(in.initials[0], 1, "%s: one server Initial", name);
	is(in.flags, QUIC_F_LONG | QUIC_F_DECRYPTED, "%s: flags", name);
	quic_free(&q);

	/* Any bit flipped in header or payload: the packet does not authenticate. */
	static const size_t flips[] = { 0, 7, 20, 100, 1199 };
	for (size_t i = 0; i < sizeof flips / sizeof flips[0]; i++) {
		uint8_t bad[1200];
		memcpy(bad, cpkt, cn);
		bad[flips[i]] ^= 0x10;
		quic_init(&q, 0);
		feed(&q, bad, cn, 1);
		quic_info(&q, &in);
		n = quic_crypto(&q, 1, &p, NULL);
		ok(n == 0 && in.initials[1] == 0, "%s: byte %zu changed: nothing decrypted (flags %#x)",
		    name, flips[i], in.flags);
		quic_free(&q);
	}

	/* A server Initial alone: no keys. */
	quic_init(&q, 0);
	is(feed(&q, spkt, sn, 0), 0, "%s: a server Initial first does not decrypt", name);
	quic_info(&q, &in);
	ok(in.flags & QUIC_F_NOKEYS, "%s: ... and says why", name);
	quic_free(&q);

	/* Coalesced: the server's Initial, a Handshake packet, then padding. */
	uint8_t dg[400];
	size_t dn = sn;
	memcpy(dg, spkt, sn);
	dg[dn++] = version == QUIC_V1 ? 0xe0 : 0xf0;  /* Handshake type, both versions */
	put_be32(dg + dn, version);
	dn += 4;
	dg[dn++] = 0;
	dg[dn++] = 8;
	unhex("f067a5502a4262b5", dg + dn, 8);
	dn += 8;
	dg[dn++] = 30;  /* Length */
	memset(dg + dn, 0xaa, 30);
	dn += 30;
	memset(dg + dn, 0, 40);
	dn += 40;
	quic_init(&q, 0);
	feed(&q, cpkt, cn, 1);
	is(feed(&q, dg, dn, 0), 1, "%s: coalesced Initial, Handshake and padding", name);
	quic_info(&q, &in);
	is(in.flags, QUIC_F_LONG | QUIC_F_DECRYPTED, "%s: ... with no complaint", name);
	dg[sn + 6 + 1 + 8] = 31;  /* the Handshake's Length one past the datagram's end... */
	is(feed(&q, dg, sn + 6 + 1 + 8 + 1 + 30, 0), 1, "%s: an overlong Length after an Initial", name);
	quic_info(&q, &in);
	ok(in.flags & QUIC_F_MALFORMED, "%s: ... is malformed", name);
	quic_free(&q);

	/* Every cut of the client's packet: no crash, no decryption. */
	int bad = 0;
	for (size_t k = 0; k < cn; k++) {
		quic_init(&q, 0);
		if (feed(&q, cpkt, k, 1) > 0) bad++;
		quic_free(&q);
	}
	is(bad, 0, "%s: no prefix of the client's packet decrypts", name);
}

/* ------------------------------------------------------ frames, reassembly */

static size_t put_varint(uint8_t *p, uint64_t v)
{
	if (v < 64) { p[0] = (uint8_t)v; return 1; }
	if (v < 16384) { put_be16(p, (uint16_t)(v | 0x4000)); return 2; }
	if (v < (1u << 30)) { put_be32(p, (uint32_t)v | 0x80000000u); return 4; }
	put_be64(p, v | 0xc000000000000000ull);
	return 8;
}

static size_t crypto_frame(uint8_t *p, uint64_t off, const uint8_t *data, size_t n)
{
	size_t w = 0;
	p[w++] = 0x06;
	w += put_varint(p + w, off);
	w += put_varint(p + w, n);
	memcpy(p + w, data, n);
	return w + n;
}

static int frames(struct quic *q, const uint8_t *p, size_t n)
{
	uint8_t *d = dup(p, n);
	int rc = quic_frames(q, d, n, 1);
	free(d);
	return rc;
}

static void test_reassembly(void)
{
	uint8_t msg[3000], f[4000];
	struct quic q;
	const uint8_t *p;
	unsigned fl;
	size_t n;

	for (size_t i = 0; i < sizeof msg; i++) msg[i] = (uint8_t)(i * 7 + 3);

	/* Three pieces, last first, then the first, then the middle. */
	quic_init(&q, 0);
	frames(&q, f, crypto_frame(f, 2000, msg + 2000, 1000));
	n = quic_crypto(&q, 1, &p, &fl);
	ok(n == 0 && p == NULL && (fl & QUIC_F_GAP), "only a later piece: nothing from 0, a gap");
	frames(&q, f, crypto_frame(f, 0, msg, 700));
	n = quic_crypto(&q, 1, &p, &fl);
	ok(n == 700 && (fl & QUIC_F_GAP), "first piece: 700 bytes, still a gap");
	ok(!quic_hello_done(&q, 1), "not a whole message");
	frames(&q, f, crypto_frame(f, 600, msg + 600, 1500));  /* overlaps both */
	n = quic_crypto(&q, 1, &p, &fl);
	ok(n == 3000 && memcmp(p, msg, 3000) == 0 && fl == 0, "out of order and overlapping: whole");
	quic_free(&q);

	/* Several frames in one payload, with PING, ACK, PADDING between them. */
	size_t w = 0;
	f[w++] = 0x01;
	w += crypto_frame(f + w, 10, msg + 10, 20);
	f[w++] = 0x02; f[w++] = 5; f[w++] = 0; f[w++] = 1; f[w++] = 2; f[w++] = 0; f[w++] = 1;
	f[w++] = 0x03; f[w++] = 5; f[w++] = 0; f[w++] = 0; f[w++] = 2; f[w++] = 1; f[w++] = 1; f[w++] = 1;
	w += crypto_frame(f + w, 0, msg, 10);
	memset(f + w, 0, 50);
	w += 50;
	quic_init(&q, 0);
	is(frames(&q, f, w), 0, "PING, CRYPTO, ACK, ACK-ECN, CRYPTO, PADDING");
	n = quic_crypto(&q, 1, &p, &fl);
	ok(n == 30 && memcmp(p, msg, 30) == 0, "both CRYPTO frames in place");
	/* A STREAM frame is not allowed in an Initial. */
	f[0] = 0x08;
	is(frames(&q, f, 10), -1, "STREAM frame: stop");
	struct quic_info in;
	quic_info(&q, &in);
	ok(in.flags & QUIC_F_FRAME, "... flagged");
	/* CONNECTION_CLOSE. */
	w = 0;
	f[w++] = 0x1c; f[w++] = 0x0a; f[w++] = 0x00; f[w++] = 3; f[w++] = 'b'; f[w++] = 'a'; f[w++] = 'd';
	is(frames(&q, f, w), 0, "CONNECTION_CLOSE read");
	quic_crypto(&q, 1, &p, &fl);
	ok(fl & QUIC_F_CLOSE, "... flagged in its direction");
	quic_free(&q);

	/* Truncated frames. */
	static const uint8_t cut[][6] = {
		{ 0x06, 0x00, 0x05, 'a', 'b' },   /* CRYPTO data past the end */
		{ 0x06, 0x40 },                   /* varint cut */
		{ 0x02, 0x01, 0x00, 0x05 },       /* ACK: 5 ranges, none there */
		{ 0x1c, 0x00, 0x00, 0x09, 'x' },  /* reason past the end */
	};
	static const size_t cutlen[] = { 5, 2, 4, 5 };
	for (size_t i = 0; i < 4; i++) {
		quic_init(&q, 0);
		int rc = frames(&q, cut[i], cutlen[i]);
		quic_info(&q, &in);
		ok(rc == -1 && (in.flags & QUIC_F_MALFORMED) && quic_crypto(&q, 1, &p, NULL) == 0,
		    "truncated frame %zu: malformed, nothing kept", i);
		quic_free(&q);
	}

	/* The limit: bytes past it are dropped with BUDGET. */
	quic_init(&q, 1000);
	frames(&q, f, crypto_frame(f, 0, msg, 1500));
	n = quic_crypto(&q, 1, &p, &fl);
	ok(n == 1000 && memcmp(p, msg, 1000) == 0 && (fl & QUIC_F_BUDGET), "limit 1000: 1000 kept, budget");
	frames(&q, f, crypto_frame(f, 5000, msg, 10));
	n = quic_crypto(&q, 1, &p, &fl);
	ok(n == 1000 && !(fl & QUIC_F_GAP), "a piece past the limit is dropped, not a gap");
	quic_free(&q);

	/* A huge offset: dropped, no allocation of it. */
	quic_init(&q, 0);
	w = 0;
	f[w++] = 0x06;
	w += put_varint(f + w, (1ull << 61));
	w += put_varint(f + w, 3);
	memcpy(f + w, "abc", 3);
	w += 3;
	frames(&q, f, w);
	n = quic_crypto(&q, 1, &p, &fl);
	ok(n == 0 && (fl & QUIC_F_BUDGET) && q.dir[1].alloc == 0, "offset 2^61: dropped, nothing allocated");
	quic_free(&q);

	/* More holes than QUIC_RANGES: later pieces dropped, the first kept. */
	quic_init(&q, 0);
	for (unsigned i = 0; i < QUIC_RANGES + 4; i++)
		frames(&q, f, crypto_frame(f, 100 + 10 * i, msg + 100 + 10 * i, 5));
	frames(&q, f, crypto_frame(f, 0, msg, 100));
	n = quic_crypto(&q, 1, &p, &fl);
	ok(fl & QUIC_F_BUDGET, "%u holes: budget", QUIC_RANGES + 4);
	is(n, 105, "... and the first bytes still come out");
	/* Filling every hole merges all ranges. */
	frames(&q, f, crypto_frame(f, 0, msg, 100 + 10 * QUIC_RANGES));
	n = quic_crypto(&q, 1, &p, &fl);
	is(n, 100 + 10 * QUIC_RANGES, "holes filled: one range from 0");
	quic_free(&q);
}

/* A protected Initial into out: version, DCID, SCID, 2-byte packet number
 * pn, the frames padded with PADDING to pad bytes; keys from key_dcid. */
static size_t initial(uint8_t *out, uint32_t version, int from_client, const char *dcid_h,
    const char *scid_h, const char *key_dcid_h, uint64_t pn, const uint8_t *fr, size_t n, size_t pad)
{
	uint8_t kd[20];
	size_t kn = unhex(key_dcid_h, kd, sizeof kd), w = 0;
	struct quic_keys k[2];

	quic_initial_keys(version, kd, kn, &k[1], &k[0]);
	out[w++] = (version == QUIC_V2 ? 0xd0 : 0xc0) | 1;  /* Initial, 2-byte packet number */
	put_be32(out + w, version);
	w += 4;
	out[w] = (uint8_t)unhex(dcid_h, out + w + 1, 20);
	w += 1 + out[w];
	out[w] = (uint8_t)unhex(scid_h, out + w + 1, 20);
	w += 1 + out[w];
	out[w++] = 0;  /* no token */
	if (pad < n) pad = n;
	put_be16(out + w, (uint16_t)(0x4000 | (2 + pad + 16)));
	w += 2;
	size_t pn_off = w;
	put_be16(out + w, (uint16_t)pn);
	w += 2;
	memcpy(out + w, fr, n);
	memset(out + w + n, 0, pad - n);
	w += pad + 16;
	if (quic_protect(&k[from_client], out, pn_off, w, pn) != 0) return 0;
	return w;
}

static void test_sealed(void)
{
	uint8_t msg[1800], f[2000], dg[4000];
	struct quic q;
	struct quic_info in;
	const uint8_t *p;
	unsigned fl;
	size_t n, w;

	/* A 1800-byte "ClientHello" (type 1, length 1796) in two Initials. */
	for (size_t i = 0; i < sizeof msg; i++) msg[i] = (uint8_t)(i * 13 + 1);
	msg[0] = 1; msg[1] = 0; msg[2] = 0x07; msg[3] = 0x04;

	/* The second packet first, then the first; both as v2. */
	quic_init(&q, 0);
	n = crypto_frame(f, 1000, msg + 1000, 800);
	w = initial(dg, QUIC_V2, 1, "0102030405060708", "aa", "0102030405060708", 1, f, n, 1162);
	is(feed(&q, dg, w, 1), 1, "split hello: the second Initial decrypts");
	ok(quic_crypto(&q, 1, &p, &fl) == 0 && (fl & QUIC_F_GAP), "... nothing from 0 yet, a gap");
	n = crypto_frame(f, 0, msg, 1000);
	w = initial(dg, QUIC_V2, 1, "0102030405060708", "aa", "0102030405060708", 0, f, n, 1162);
	is(feed(&q, dg, w, 1), 1, "split hello: the first Initial decrypts");
	n = quic_crypto(&q, 1, &p, &fl);
	ok(n == 1800 && memcmp(p, msg, 1800) == 0 && fl == 0, "... 1800 contiguous bytes, no gap");
	ok(quic_hello_done(&q, 1), "... the hello is whole");
	quic_info(&q, &in);
	ok(in.version == QUIC_V2 && in.initials[1] == 2 && in.scid_len == 1 && in.scid[0] == 0xaa,
	    "... version 2, two Initials, SCID aa");
	quic_free(&q);

	/* Two client Initials coalesced in one datagram, then a too-small limit. */
	quic_init(&q, 1500);
	n = crypto_frame(f, 0, msg, 1000);
	w = initial(dg, QUIC_V1, 1, "0102030405060708", "", "0102030405060708", 0, f, n, 0);
	n = crypto_frame(f, 1000, msg + 1000, 800);
	w += initial(dg + w, QUIC_V1, 1, "0102030405060708", "", "0102030405060708", 1, f, n, 0);
	is(feed(&q, dg, w, 1), 2, "two coalesced Initials: both decrypt");
	n = quic_crypto(&q, 1, &p, &fl);
	ok(n == 1500 && memcmp(p, msg, 1500) == 0 && (fl & QUIC_F_BUDGET), "... limit 1500: 1500 bytes, budget");
	ok(!quic_hello_done(&q, 1), "... the hello is not whole");
	quic_free(&q);

	/* Retry (RFC 9000 §17.2.5, §7.3): the client's next Initial uses the
	 * server's new connection id as DCID, and so do the keys of both sides. */
	quic_init(&q, 0);
	n = crypto_frame(f, 0, msg, 1000);
	w = initial(dg, QUIC_V1, 1, "1111111111111111", "cc", "1111111111111111", 0, f, n, 1162);
	is(feed(&q, dg, w, 1), 1, "retry: the first Initial decrypts");
	static const uint8_t retry[] = { 0xf0, 0, 0, 0, 1, 1, 0xcc, 4, 0x22, 0x22, 0x22, 0x22,
		't', 'o', 'k', 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
	is(feed(&q, retry, sizeof retry, 0), 0, "retry: the Retry");
	n = crypto_frame(f, 0, msg, 1800);
	w = initial(dg, QUIC_V1, 1, "22222222", "cc", "22222222", 1, f, n, 1162);
	is(feed(&q, dg, w, 1), 1, "retry: the Initial with the new DCID decrypts");
	n = crypto_frame(f, 0, (const uint8_t *)"\x02\x00\x00\x02hi", 6);
	w = initial(dg, QUIC_V1, 0, "cc", "3333", "22222222", 0, f, n, 0);
	is(feed(&q, dg, w, 0), 1, "retry: the server's Initial decrypts with the new keys");
	n = quic_crypto(&q, 1, &p, &fl);
	ok(n == 1800 && memcmp(p, msg, 1800) == 0, "retry: the whole hello from the client");
	ok(quic_hello_done(&q, 0), "retry: a whole ServerHello");
	quic_info(&q, &in);
	ok(in.flags == (QUIC_F_LONG | QUIC_F_DECRYPTED | QUIC_F_RETRY), "retry: flags %#x", in.flags);
	ok(in.dcid_len == 8 && in.dcid[0] == 0x11, "retry: the DCID shown is the first one");
	ok(in.server_scid_len == 4 && in.server_scid[0] == 0x22, "retry: the server's first SCID (the Retry's)");
	quic_free(&q);
}

static void test_not_quic(void)
{
	struct quic q;
	struct quic_info in;
	static const uint8_t dns[] = { 0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0 };
	static const uint8_t vneg[] = { 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x6b, 0x33, 0x43, 0xcf };
	static const uint8_t draft[] = { 0xc0, 0xff, 0, 0, 0x1b, 0, 0, 0x44, 0xb0, 1, 2, 3, 4 };
	static const uint8_t bigcid[] = { 0xc0, 0, 0, 0, 1, 21 };

	quic_init(&q, 0);
	is(feed(&q, dns, sizeof dns, 1), -1, "a DNS query is not QUIC");
	is(feed(&q, (const uint8_t *)"", 0, 1), -1, "an empty datagram is not QUIC");
	quic_info(&q, &in);
	ok(in.flags == QUIC_F_NOTQUIC && in.version == 0, "NOTQUIC, no version");
	quic_free(&q);

	quic_init(&q, 0);
	is(feed(&q, vneg, sizeof vneg, 0), 0, "Version Negotiation");
	quic_info(&q, &in);
	is(in.flags, QUIC_F_VNEG, "... flagged");
	quic_free(&q);

	quic_init(&q, 0);
	is(feed(&q, draft, sizeof draft, 1), 0, "draft-27 long header");
	quic_info(&q, &in);
	is(in.flags, QUIC_F_VERSION, "... a version not read here");
	quic_free(&q);

	quic_init(&q, 0);
	is(feed(&q, bigcid, sizeof bigcid, 1), -1, "v1 header with a 21-byte DCID cut short");
	quic_free(&q);
}

/* --------------------------------------------------------- capture mode */

struct flow {
	uint8_t ver, a[16], b[16];
	uint16_t pa, pb;  /* a: the client */
	struct quic q;
	/* The datagrams as fuzz seed records: direction, 16-bit length, bytes. */
	uint8_t *seed;
	size_t seedlen;
};

#define MAXFLOWS 256

/* " HEX" of a direction's contiguous CRYPTO bytes, " -" when there are none. */
static void hex_field(const struct quic *q, int from_client)
{
	const uint8_t *p;
	size_t n = quic_crypto(q, from_client, &p, NULL);

	putchar(' ');
	for (size_t k = 0; k < n; k++) printf("%02x", p[k]);
	if (!n) putchar('-');
}

static int capture(const char *path, const char *seeddir)
{
	struct cap *c = cap_open(path);
	struct cap_pkt pk;
	struct flow *fl = calloc(MAXFLOWS, sizeof *fl);
	size_t nf = 0;
	int rc;

	if (!c || !fl) return 2;
	while ((rc = cap_next(c, &pk)) == CAP_OK) {
		struct pkt_info pi;
		memset(&pi, 0, sizeof pi);
		if (pkt_decode(pk.linktype, pk.data, pk.caplen, pk.wirelen, &pi) != PKT_OK) continue;
		if (!(pi.layers & PKT_L_PAYLOAD) || pi.proto != 17 || (pi.flags & PKT_F_FRAG)) continue;
		size_t al = pi.ipver == 4 ? 4 : 16, i;
		int fc = -1;
		for (i = 0; i < nf; i++) {
			struct flow *f = &fl[i];
			if (f->ver != pi.ipver) continue;
			if (!memcmp(f->a, pi.saddr, al) && !memcmp(f->b, pi.daddr, al) &&
			    f->pa == pi.sport && f->pb == pi.dport) { fc = 1; break; }
			if (!memcmp(f->b, pi.saddr, al) && !memcmp(f->a, pi.daddr, al) &&
			    f->pb == pi.sport && f->pa == pi.dport) { fc = 0; break; }
		}
		if (i == nf) {
			if (nf == MAXFLOWS) continue;
			struct flow *f = &fl[nf++];
			f->ver = pi.ipver;
			memcpy(f->a, pi.saddr, al);
			memcpy(f->b, pi.daddr, al);
			f->pa = pi.sport;
			f->pb = pi.dport;
			quic_init(&f->q, 0);
			fc = 1;
		}
		const uint8_t *pl = pk.data + pi.payload_off;
		size_t n = pi.payload_caplen;
		quic_feed(&fl[i].q, pl, n, fc);
		if (seeddir && n <= 0xffff && fl[i].seedlen < 60000) {
			struct flow *f = &fl[i];
			f->seed = realloc(f->seed, f->seedlen + 3 + n);
			if (!f->seed) abort();
			f->seed[f->seedlen] = (uint8_t)fc;
			put_be16(f->seed + f->seedlen + 1, (uint16_t)n);
			memcpy(f->seed + f->seedlen + 3, pl, n);
			f->seedlen += 3 + n;
		}
	}
	if (rc != CAP_EOF) fprintf(stderr, "t_quic: %s\n", cap_errmsg(c));
	cap_close(c, NULL);

	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	for (size_t i = 0; i < nf; i++) {
		struct flow *f = &fl[i];
		struct quic_info in;

		quic_info(&f->q, &in);
		if (seeddir) {
			if (in.flags & QUIC_F_DECRYPTED) {
				char name[4096];
				snprintf(name, sizeof name, "%s/%s-%zu", seeddir, base, i);
				FILE *o = fopen(name, "wb");
				/* mode byte 0: datagrams */
				if (!o || fputc(0, o) == EOF || fwrite(f->seed, 1, f->seedlen, o) != f->seedlen ||
				    fclose(o) != 0)
					return 2;
			}
		} else {
			printf("%u %u %08x %04x %u %u ", f->pa, f->pb, in.version, in.flags, in.initials[1],
			    in.initials[0]);
			for (size_t k = 0; k < in.dcid_len; k++) printf("%02x", in.dcid[k]);
			printf("%s", in.dcid_len ? "" : "-");
			hex_field(&f->q, 0);
			hex_field(&f->q, 1);
			putchar('\n');
		}
		quic_free(&f->q);
		free(f->seed);
	}
	free(fl);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "-c") == 0) return capture(argv[2], NULL);
	if (argc == 4 && strcmp(argv[1], "-s") == 0) return capture(argv[3], argv[2]);

	test_hmac();
	test_keys();
	test_hp();
	test_packets("v1", QUIC_V1, v1_client, v1_server, "c300000001088394c8f03e5157080000449e00000002",
	    "c1000000010008f067a5502a4262b50040750001");
	test_packets("v2", QUIC_V2, v2_client, v2_server, "d36b3343cf088394c8f03e5157080000449e00000002",
	    "d16b3343cf0008f067a5502a4262b50040750001");
	test_sealed();
	test_reassembly();
	test_not_quic();
	printf("1..%u\n", ntest);
	return nfail != 0;
}
