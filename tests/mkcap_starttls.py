#!/usr/bin/python3
"""mkcap_starttls.py - record tests/data/lo_starttls.pcap and lo_ssdp.pcap.

usage (as root, with dumpcap and openssl): mkcap_starttls.py OUTDIR

Real TLS upgrades on the loopback interface, captured with dumpcap:
`openssl s_client -starttls smtp|imap|pop3|ftp` (each with its own
-servername) against small responders written here, which speak the
clear-text prelude of each protocol (RFC 3207, RFC 3501 6.2.1, RFC 2595,
RFC 4217) and then hand the socket to Python's ssl module (OpenSSL) with
a throw-away self-signed certificate.  SMTP is upgraded to TLS 1.2 (its
certificate is visible), the others to TLS 1.3.  A second SMTP server,
on 127.0.0.2, refuses the upgrade (454); s_client then sends its
ClientHello anyway, which must not be read as TLS.  Then SSDP on UDP: an
M-SEARCH from 127.0.0.1 to 127.0.0.1:1900 and the device's HTTP/1.1 200
answer, one message per datagram.

The servers listen on the protocols' own ports (25, 143, 110, 21): tshark
dissects these protocols by port, and the cross-check wants its view.
"""
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

NAMES = {"smtp": "smtp.example.test", "imap": "imap.example.test",
         "pop3": "pop3.example.test", "ftp": "ftp.example.test"}


def talk(f, w, greeting, answer):
    """Send the greeting, then answer each line of the client: answer(line)
    gives the reply and True (upgrade now), False (stop) or None (go on)."""
    w(greeting)
    while True:
        line = f.readline()
        if not line:
            return False
        reply, upgrade = answer(line.rstrip(b"\r\n"))
        w(reply)
        if upgrade is not None:
            return upgrade


def smtp(refuse):
    def answer(line):
        verb = line.split(b" ")[0].upper()
        if verb == b"EHLO":
            return (b"250-mail.example.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n" +
                    (b"250 8BITMIME\r\n" if refuse else b"250-8BITMIME\r\n250 STARTTLS\r\n")), None
        if verb == b"STARTTLS" and refuse:
            return b"454 4.7.0 TLS not available due to local problem\r\n", False
        if verb == b"STARTTLS":
            return b"220 2.0.0 Ready to start TLS\r\n", True
        return b"502 5.5.2 command not recognised\r\n", None
    return b"220 mail.example.test ESMTP flowkit test\r\n", answer


def imap(refuse):
    def answer(line):
        tag, _, cmd = line.partition(b" ")
        if cmd.upper() == b"CAPABILITY":
            return b"* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n" + tag + b" OK CAPABILITY completed\r\n", None
        if cmd.upper() == b"STARTTLS":
            return tag + b" OK Begin TLS negotiation now\r\n", True
        return tag + b" BAD unknown command\r\n", None
    return b"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] imap.example.test ready\r\n", answer


# command -> (reply, upgrade); anything else gets the last item's reply
POP3 = {b"CAPA": (b"+OK Capability list follows\r\nUSER\r\nSTLS\r\nUIDL\r\n.\r\n", None),
        b"STLS": (b"+OK Begin TLS negotiation\r\n", True), None: (b"-ERR unknown command\r\n", None)}
FTP = {b"FEAT": (b"211-Features:\r\n AUTH TLS\r\n PBSZ\r\n PROT\r\n211 End\r\n", None),
       b"AUTH TLS": (b"234 AUTH TLS successful\r\n", True), None: (b"500 unknown command\r\n", None)}


def table(greeting, t):
    return lambda refuse: (greeting, lambda line: t.get(line.upper(), t[None]))


pop3 = table(b"+OK pop3.example.test POP3 server ready\r\n", POP3)
ftp = table(b"220-flowkit test FTP service\r\n220 ftp.example.test ready\r\n", FTP)


def serve(lsock, prelude, ctx, refuse=False):
    conn, _ = lsock.accept()
    with conn:
        f = conn.makefile("rb", buffering=0)
        if not talk(f, conn.sendall, *prelude(refuse)):
            time.sleep(0.3)  # let the client send what it will
            return
        try:
            t = ctx.wrap_socket(conn, server_side=True)
            t.sendall(b"hello over TLS\r\n")
            t.recv(100)
            t.close()
        except (ssl.SSLError, OSError):
            pass


def listen(addr, port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(1)
    return s


def client(proto, addr, port, extra=()):
    cmd = ["openssl", "s_client", "-starttls", proto, "-connect", "%s:%d" % (addr, port),
           "-servername", NAMES[proto], "-no_ign_eof"] + list(extra)
    subprocess.run(cmd, input=b"bye\n", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=20)


def ssdp():
    dev = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dev.bind(("127.0.0.1", 1900))
    cp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    cp.bind(("127.0.0.1", 0))
    cp.sendto(b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\n"
              b"MX: 1\r\nST: ssdp:all\r\nUSER-AGENT: flowkit-test/1.0 UPnP/2.0\r\n\r\n",
              ("127.0.0.1", 1900))
    _, src = dev.recvfrom(2000)
    dev.sendto(b"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\n"
               b"LOCATION: http://127.0.0.1:8080/desc.xml\r\nSERVER: Linux/6.1 UPnP/2.0 flowkit-test/1.0\r\n"
               b"ST: upnp:rootdevice\r\nUSN: uuid:2fac1234-31f8-11b4-a222-08002b34c003::upnp:rootdevice\r\n"
               b"\r\n", src)
    cp.recvfrom(2000)
    dev.close()
    cp.close()


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = sys.argv[1]
    tmp = tempfile.mkdtemp()
    key, crt, cap = (os.path.join(tmp, n) for n in ("key.pem", "crt.pem", "all.pcap"))
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", key, "-out", crt, "-days", "30", "-subj",
                    "/CN=mail.example.test", "-addext",
                    "subjectAltName=DNS:mail.example.test,DNS:smtp.example.test"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(crt, key)
    dc = subprocess.Popen(["dumpcap", "-q", "-i", "lo", "-P", "-w", cap, "-f",
                           "tcp port 25 or tcp port 143 or tcp port 110 or tcp port 21 or udp port 1900"],
                          stderr=subprocess.DEVNULL)
    time.sleep(2)
    runs = [("smtp", "127.0.0.1", 25, smtp, False, ["-tls1_2"]),
            ("imap", "127.0.0.1", 143, imap, False, []),
            ("pop3", "127.0.0.1", 110, pop3, False, []),
            ("ftp", "127.0.0.1", 21, ftp, False, []),
            ("smtp", "127.0.0.2", 25, smtp, True, [])]
    for proto, addr, port, prelude, refuse, extra in runs:
        ls = listen(addr, port)
        th = threading.Thread(target=serve, args=(ls, prelude, ctx, refuse))
        th.start()
        client(proto, addr, port, extra)
        th.join(10)
        ls.close()
        time.sleep(0.2)
    ssdp()
    time.sleep(1)
    dc.terminate()
    dc.wait()
    subprocess.run(["tshark", "-r", cap, "-Y", "tcp", "-w", os.path.join(out, "lo_starttls.pcap"),
                    "-F", "pcap"], check=True, stderr=subprocess.DEVNULL)
    subprocess.run(["tshark", "-r", cap, "-Y", "udp", "-w", os.path.join(out, "lo_ssdp.pcap"),
                    "-F", "pcap"], check=True, stderr=subprocess.DEVNULL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
