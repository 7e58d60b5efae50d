# Sourced by the e2e scripts that run tfboot's own AWS clients (locks.sh, doctor.sh): moto
# (../shared/tools/aws-emulator) on a free loopback port, over TLS with a certificate rustls
# accepts. Needs `repo` and `shared` set; sets `venv`, `endpoint`, `pid` and exports the AWS_*
# variables the SDKs and Terraform read.
# A virtual environment of these scripts (the bootstrap e2e keeps its own).
venv="$repo/target/e2e-locks/venv"
if ! "$venv/bin/python" -c 'import moto, boto3, flask' 2>/dev/null; then
  echo "e2e: installing moto into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'moto[server]==5.2.5' 'boto3>=1.35'
fi
# The emulator's own certificate is self-signed with CA:TRUE, which rustls (and so the AWS SDK for
# Rust) refuses as a server certificate. Give it a leaf signed by a throw-away CA instead, in a
# home of its own: the chain file is both what the server presents and the CA bundle clients get.
emu_home="$repo/target/e2e-locks"
tls="$emu_home/emulator-tls"
mkdir -p "$emu_home" "$tls"
ln -sfn "$venv/bin" "$emu_home/bin"
if [ ! -s "$tls/cert.pem" ] || ! grep -q "tfboot-e2e-ca" "$tls/ca.subject" 2>/dev/null; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tls/ca.key" -out "$tls/ca.pem" -days 3650 \
    -subj "/CN=tfboot-e2e-ca" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout "$tls/key.pem" -out "$tls/leaf.csr" \
    -subj "/CN=127.0.0.1" 2>/dev/null
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$tls/leaf.ext"
  openssl x509 -req -in "$tls/leaf.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial \
    -out "$tls/leaf.pem" -days 3650 -extfile "$tls/leaf.ext" 2>/dev/null
  cat "$tls/leaf.pem" "$tls/ca.pem" > "$tls/cert.pem"
  echo "CN=tfboot-e2e-ca" > "$tls/ca.subject"
fi
port="$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
if [ -n "${emulator_log:-}" ]; then
  # The same server the aws-emulator tool starts, with its request log where the caller wants it
  # (bench/locks.sh counts the requests the emulator receives).
  setsid "$venv/bin/python" "$shared/tools/aws-emulator-server.py" -H 127.0.0.1 -p "$port" \
    -c "$tls/cert.pem" -k "$tls/key.pem" > "$emulator_log" 2>&1 < /dev/null &
  pid=$!
  endpoint="https://127.0.0.1:$port"
  for _ in $(seq 1 300); do
    "$venv/bin/python" -c "import ssl,urllib.request; urllib.request.urlopen('$endpoint/moto-api/', timeout=1, context=ssl.create_default_context(cafile='$tls/cert.pem'))" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$emulator_log" >&2; exit 1; }
    sleep 0.2
  done
else
  started="$(ORACLES_HOME="$emu_home" "$shared/tools/aws-emulator" start "$port")"
  endpoint="$(sed -n 's/.*endpoint=\([^ ]*\).*/\1/p' <<<"$started")"
  pid="$(sed -n 's/.*pid=\([^ ]*\).*/\1/p' <<<"$started")"
fi
export AWS_CA_BUNDLE="$tls/cert.pem"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=eu-west-1 TF_IN_AUTOMATION=1
export AWS_ENDPOINT_URL="$endpoint"
