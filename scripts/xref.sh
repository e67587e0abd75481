#!/usr/bin/env bash
# xref.sh: print docs/cross-reference.md, the table from each passage of the
# Portuguese document ([doc ID]) to the lesson lines that cite it, the posix_impl
# functions behind them, and the system calls underneath.
#
#   bash scripts/xref.sh > docs/cross-reference.md     refresh the page
#   bash scripts/xref.sh --pt > docs/pt/cross-reference.md   refresh its Portuguese twin
#   bash scripts/xref.sh --check                       exit 1 if either page is stale
#
# The "lesson lines" column is generated: every line of lessons/*/main.cpp that holds
# `[doc ID]`, as file:line. The other columns are written by hand in the table below
# (one row per ID, fields separated by " | "), once in English (ROWS) and once in
# Portuguese (ROWS_PT, same IDs in the same order): a lesson edit refreshes both. An ID that no lesson cites is an error
# (exit status 1, message on stderr), because every passage must be implemented somewhere.
# tests/integration/docs.test.js runs this script and compares its output with the file.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."

# ID | what the passage is about (our words) | posix_impl functions | system calls
ROWS=$(cat <<'EOF'
INTRO.1 | the model: events, callbacks bound to them, one thread | `kit::Loop::run()`, `kit::Loop::invoke()`, `kit::EventEmitter::emit()`, `kit::process::run()` | poll(2); eventfd(2) and write(2)/read(2) on it, for thread-pool completions; clock_gettime(2)
INTRO.2 | the plan: TCP (a connection, acknowledgments) first, then UDP (no connection) | `kit::net::Server::listen()`, `kit::net::Socket::connect()` versus `kit::dgram::Socket::send()`, `kit::dgram::Socket::bind()` | TCP: connect(2), accept4(2) (the kernel sends the acknowledgments); UDP: sendto(2), recvmsg(2)
TCPS.1 | TCP server: the `net` module, `createServer(callback)`, `listen(PORT)` | `kit::net::createServer()`, `kit::net::Server::listen()` | socket(2), setsockopt(2) `SO_REUSEADDR`, bind(2), listen(2)
TCPS.2 | server events: `listening`, and `error` (EADDRINUSE: wait and retry; others: print) | `kit::net::Server::listen()` (private `bindAndListen()` emits `listening` or `error` on the next tick), `kit::Error::uvWithHostPort()` | bind(2) failing with EADDRINUSE or EACCES, listen(2)
TCPS.3 | the connection object; its `data` (parts kept in chunks) and `close` (one Buffer, a timestamped name) | private `net::Server::onReadable()`, `net::Socket::onIo()`, `readSome()`, `emitData()`, `onClose()`; `kit::Buffer::concat()` | accept4(2), read(2), close(2)
TCPS.C1 | server program: modules, port 8124, path prefix | `kit::args::parse()` (the kit's `--port`/`--host`) | none
TCPS.C2 | the `createServer` callback: a client connected | `kit::net::createServer()` (adds the `connection` listener), private `net::Server::onReadable()` (emits it) | poll(2) reports the listening socket readable; accept4(2)
TCPS.C3 | the `data` handler: log, keep the chunk | private `net::Socket::onIo()`, `readSome()`, `emitData()`; `kit::EventEmitter::emit()` | poll(2), read(2)
TCPS.C4 | the `close` handler: concat, timestamp, `writeFile`, log | `kit::Buffer::concat()`, `kit::momentNow()`, `kit::fs::writeFile()`, `kit::Loop::queueWork()` | read(2) returns 0 (FIN); shutdown(2), close(2); time(2), localtime_r(3); open(2), write(2), close(2) on a pool thread
TCPS.C5 | `listen(PORT)` and the `listening` handler | `kit::net::Server::listen()` | socket(2), setsockopt(2), bind(2), listen(2)
TCPS.C6 | the `error` handler: EADDRINUSE, wait 1 s, close, listen again | `kit::setTimeout()`, `kit::Loop::addTimer()`, `kit::net::Server::close()`, `kit::net::Server::listen()` | close(2); poll(2) with a 1000 ms timeout; socket(2), bind(2), listen(2) again
TCPC.1 | TCP client: a socket; `connect` opens a read stream, pipes it; `error`, `data`, `close` | `kit::net::createSocket()`, `kit::net::Socket::connect()`, `kit::fs::createReadStream()`, `kit::fs::ReadStream::pipe()` | socket(2), connect(2), getsockopt(2) `SO_ERROR`, open(2), read(2), send(2), shutdown(2), close(2)
TCPC.C1 | client program: modules, port, file path, a new socket, `setEncoding('utf8')` | `kit::net::createSocket()`, `kit::net::Socket::setEncoding()`, `kit::StringDecoder` | none (no descriptor before `connect`)
TCPC.C2 | `connect(port, host, callback)`; `createReadStream`; `open` then `pipe`; `error` | `kit::net::Socket::connect()`, `kit::dns::lookup()`, `kit::fs::createReadStream()`, `kit::fs::ReadStream::pipe()`, `kit::net::Socket::write()`, `kit::net::Socket::end()` | getaddrinfo(3) on a pool thread; socket(2), connect(2) (EINPROGRESS), poll(2) POLLOUT, getsockopt(2) `SO_ERROR`; open(2), read(2) on a pool thread; send(2) `MSG_NOSIGNAL`; shutdown(2) `SHUT_WR`
TCPC.C3 | the client's `data` handler: print what the server sends | private `net::Socket::readSome()`, `emitData()`; `kit::StringDecoder` | read(2)
TCPC.C4 | the client's `close` handler | private `net::Socket::onPeerEnd()`; `kit::net::Socket::destroy()`, `kit::Loop` close phase | read(2) returns 0; shutdown(2); close(2)
UDPS.1 | UDP server: `dgram`, `udp4`/`udp6`, one `message` per packet, no connection events | `kit::dgram::createSocket()`, private `dgram::Socket::onReadable()` | socket(2) `AF_INET`/`AF_INET6`, `SOCK_DGRAM`; recvmsg(2)
UDPS.C1 | server program: modules, `createSocket("udp4")`, port, path prefix | `kit::dgram::createSocket()` | none (libuv makes no descriptor before `bind`)
UDPS.C2 | the `message(msg, rinfo)` handler: timestamp, name, `writeFile` | private `dgram::Socket::onReadable()`; `kit::momentNow()`, `kit::fs::writeFile()` | poll(2), recvmsg(2) (up to 32 per wakeup); open(2), write(2), close(2) on a pool thread
UDPS.C3 | the `listening` handler: `address()`, log | `kit::dgram::Socket::address()` (`listening` is emitted by private `afterBindLookup()`) | getsockname(2)
UDPS.C4 | `bind(PORT)` | `kit::dgram::Socket::bind()`; private `startBind()`, `lookup()`, `afterBindLookup()` | socket(2) `SOCK_DGRAM\|SOCK_NONBLOCK\|SOCK_CLOEXEC`, bind(2); poll(2) watches POLLIN
UDPC.1 | UDP client: the file into a Buffer, sent with `send` | `kit::fs::readFileSync()`, `kit::dgram::Socket::send()` | open(2), fstat(2), read(2), close(2); sendto(2)
UDPC.C1 | client program: modules, port, host `127.0.0.1`, file path | `kit::args::parse()` (the kit's `--port`/`--host`/`--udp6`) | none
UDPC.C2 | `readFileSync`; `createSocket('udp4')` | `kit::fs::readFileSync()`, `kit::dgram::createSocket()` | open(2), fstat(2), read(2), close(2), blocking, before the loop runs
UDPC.C3 | `send(file, 0, length, PORT, HOST, callback)`: throw on error, log, `close()` | `kit::dgram::Socket::send()` (implicit bind to port 0, lookup, private `transmit()`, `finish()` on the next tick), `kit::Loop::invoke()` (a thrown error ends the process), `kit::dgram::Socket::close()` | socket(2), bind(2) to port 0; sendto(2) (EMSGSIZE over 65,507 bytes); close(2)
REFS | the document's references | none (listed in README.md) | none
EOF
)

# The same rows in Portuguese, for docs/pt/cross-reference.md (same IDs, same order).
ROWS_PT=$(cat <<'EOF'
INTRO.1 | o modelo: eventos, callbacks vinculados a eles, uma só thread | `kit::Loop::run()`, `kit::Loop::invoke()`, `kit::EventEmitter::emit()`, `kit::process::run()` | poll(2); eventfd(2) com write(2)/read(2), para as tarefas concluídas no pool de threads; clock_gettime(2)
INTRO.2 | o plano: primeiro TCP (conexão, acknowledgments), depois UDP (sem conexão) | `kit::net::Server::listen()`, `kit::net::Socket::connect()` versus `kit::dgram::Socket::send()`, `kit::dgram::Socket::bind()` | TCP: connect(2), accept4(2) (os acknowledgments são do kernel); UDP: sendto(2), recvmsg(2)
TCPS.1 | servidor TCP: o módulo `net`, `createServer(callback)`, `listen(PORT)` | `kit::net::createServer()`, `kit::net::Server::listen()` | socket(2), setsockopt(2) `SO_REUSEADDR`, bind(2), listen(2)
TCPS.2 | eventos do servidor: `listening` e `error` (EADDRINUSE: espera e tenta de novo; outros: imprime) | `kit::net::Server::listen()` (o privado `bindAndListen()` dispara `listening` ou `error` no próximo tick), `kit::Error::uvWithHostPort()` | bind(2) falhando com EADDRINUSE ou EACCES, listen(2)
TCPS.3 | o objeto da conexão; seus eventos `data` (pedaços guardados em chunks) e `close` (um só Buffer, nome com timestamp) | privados `net::Server::onReadable()`, `net::Socket::onIo()`, `readSome()`, `emitData()`, `onClose()`; `kit::Buffer::concat()` | accept4(2), read(2), close(2)
TCPS.C1 | programa do servidor: módulos, porta 8124, prefixo do caminho | `kit::args::parse()` (as opções `--port`/`--host` do kit) | nenhuma
TCPS.C2 | o callback de `createServer`: um cliente conectou | `kit::net::createServer()` (registra o listener de `connection`), o privado `net::Server::onReadable()` (dispara o evento) | o poll(2) avisa que o socket de escuta está pronto para leitura; accept4(2)
TCPS.C3 | o handler de `data`: loga e guarda o pedaço | privados `net::Socket::onIo()`, `readSome()`, `emitData()`; `kit::EventEmitter::emit()` | poll(2), read(2)
TCPS.C4 | o handler de `close`: concat, timestamp, `writeFile`, log | `kit::Buffer::concat()`, `kit::momentNow()`, `kit::fs::writeFile()`, `kit::Loop::queueWork()` | read(2) retorna 0 (FIN); shutdown(2), close(2); time(2), localtime_r(3); open(2), write(2), close(2) numa thread do pool
TCPS.C5 | `listen(PORT)` e o handler de `listening` | `kit::net::Server::listen()` | socket(2), setsockopt(2), bind(2), listen(2)
TCPS.C6 | o handler de `error`: EADDRINUSE, espera 1 s, close, listen de novo | `kit::setTimeout()`, `kit::Loop::addTimer()`, `kit::net::Server::close()`, `kit::net::Server::listen()` | close(2); poll(2) com timeout de 1000 ms; socket(2), bind(2), listen(2) de novo
TCPC.1 | cliente TCP: um socket; `connect` abre um stream de leitura e faz o pipe; `error`, `data`, `close` | `kit::net::createSocket()`, `kit::net::Socket::connect()`, `kit::fs::createReadStream()`, `kit::fs::ReadStream::pipe()` | socket(2), connect(2), getsockopt(2) `SO_ERROR`, open(2), read(2), send(2), shutdown(2), close(2)
TCPC.C1 | programa do cliente: módulos, porta, caminho do arquivo, um socket novo, `setEncoding('utf8')` | `kit::net::createSocket()`, `kit::net::Socket::setEncoding()`, `kit::StringDecoder` | nenhuma (não há descritor antes do `connect`)
TCPC.C2 | `connect(port, host, callback)`; `createReadStream`; `open` e depois `pipe`; `error` | `kit::net::Socket::connect()`, `kit::dns::lookup()`, `kit::fs::createReadStream()`, `kit::fs::ReadStream::pipe()`, `kit::net::Socket::write()`, `kit::net::Socket::end()` | getaddrinfo(3) numa thread do pool; socket(2), connect(2) (EINPROGRESS), poll(2) POLLOUT, getsockopt(2) `SO_ERROR`; open(2), read(2) numa thread do pool; send(2) `MSG_NOSIGNAL`; shutdown(2) `SHUT_WR`
TCPC.C3 | o handler de `data` do cliente: imprime o que o servidor manda | privados `net::Socket::readSome()`, `emitData()`; `kit::StringDecoder` | read(2)
TCPC.C4 | o handler de `close` do cliente | o privado `net::Socket::onPeerEnd()`; `kit::net::Socket::destroy()`, a fase close do `kit::Loop` | read(2) retorna 0; shutdown(2); close(2)
UDPS.1 | servidor UDP: `dgram`, `udp4`/`udp6`, um `message` por pacote, nenhum evento de conexão | `kit::dgram::createSocket()`, o privado `dgram::Socket::onReadable()` | socket(2) `AF_INET`/`AF_INET6`, `SOCK_DGRAM`; recvmsg(2)
UDPS.C1 | programa do servidor: módulos, `createSocket("udp4")`, porta, prefixo do caminho | `kit::dgram::createSocket()` | nenhuma (a libuv não cria descritor antes do `bind`)
UDPS.C2 | o handler de `message(msg, rinfo)`: timestamp, nome, `writeFile` | o privado `dgram::Socket::onReadable()`; `kit::momentNow()`, `kit::fs::writeFile()` | poll(2), recvmsg(2) (até 32 a cada retorno do poll(2)); open(2), write(2), close(2) numa thread do pool
UDPS.C3 | o handler de `listening`: `address()`, log | `kit::dgram::Socket::address()` (quem dispara `listening` é o privado `afterBindLookup()`) | getsockname(2)
UDPS.C4 | `bind(PORT)` | `kit::dgram::Socket::bind()`; privados `startBind()`, `lookup()`, `afterBindLookup()` | socket(2) `SOCK_DGRAM\|SOCK_NONBLOCK\|SOCK_CLOEXEC`, bind(2); o poll(2) vigia POLLIN
UDPC.1 | cliente UDP: o arquivo num Buffer, enviado com `send` | `kit::fs::readFileSync()`, `kit::dgram::Socket::send()` | open(2), fstat(2), read(2), close(2); sendto(2)
UDPC.C1 | programa do cliente: módulos, porta, host `127.0.0.1`, caminho do arquivo | `kit::args::parse()` (as opções `--port`/`--host`/`--udp6` do kit) | nenhuma
UDPC.C2 | `readFileSync`; `createSocket('udp4')` | `kit::fs::readFileSync()`, `kit::dgram::createSocket()` | open(2), fstat(2), read(2), close(2), bloqueantes, antes de o loop rodar
UDPC.C3 | `send(file, 0, length, PORT, HOST, callback)`: lança o erro, loga, `close()` | `kit::dgram::Socket::send()` (bind implícito na porta 0, lookup, os privados `transmit()` e `finish()` no próximo tick), `kit::Loop::invoke()` (um erro lançado encerra o processo), `kit::dgram::Socket::close()` | socket(2), bind(2) na porta 0; sendto(2) (EMSGSIZE acima de 65.507 bytes); close(2)
REFS | as referências do documento | nenhuma (listadas no README.md) | nenhuma
EOF
)

lessons=(lessons/[0-9][0-9]_*/main.cpp)

# "`01_tcp_server/main.cpp:26,47`<br>`03_udp_server/...`" for one ID, or nothing.
cited_at() {
    local id=$1 out="" f lines
    for f in "${lessons[@]}"; do
        lines=$(grep -nF "[doc $id]" "$f" | cut -d: -f1 | paste -sd, - || true)
        [[ -n $lines ]] || continue
        out+="${out:+<br>}\`${f#lessons/}:$lines\`"
    done
    printf '%s' "$out"
}

render_header_en() {
    cat <<'EOF'
# Cross-reference: the document's passages, the lessons, the library, the system calls

Each row is one passage of the Portuguese document, by the citation ID that the code
uses (`[doc ID]`). The columns give the lines of the lesson programs (under `lessons/`)
that cite it, where the code implementing the passage starts; the `posix_impl`
functions that do the work; and the system calls underneath. Functions marked
*private* are member functions that Doxygen does not list: read them in the `.cpp`
file.

The "lesson lines" column is generated by `scripts/xref.sh`. Refresh it after editing a
lesson with `bash scripts/xref.sh > docs/cross-reference.md`.
`tests/integration/docs.test.js` fails when this page is stale or when a passage is not
cited by any lesson. For how one event travels through these functions, see
[architecture](architecture.md). For the words, see the [glossary](glossary.md).

| ID | the passage (our summary) | lesson lines | posix_impl | system calls |
| --- | --- | --- | --- | --- |
EOF
}

render_header_pt() {
    cat <<'EOF'
# Referência cruzada: os trechos do documento, as lições, a biblioteca, as chamadas de sistema

Cada linha é um trecho do documento, identificado pelo ID de citação que o código usa
(`[doc ID]`). As colunas mostram as linhas dos programas das lições (em `lessons/`) que
citam o trecho, ali onde começa o código que o implementa; as funções de `posix_impl`
que fazem o trabalho; e as chamadas de sistema por baixo. As funções marcadas como
*privadas* são métodos que o Doxygen não lista: leia-os no `.cpp`.

A coluna "linhas nas lições" é gerada pelo `scripts/xref.sh`, que gera esta página e a
versão em inglês. Depois de editar uma lição, atualize as duas com
`bash scripts/xref.sh > docs/cross-reference.md` e
`bash scripts/xref.sh --pt > docs/pt/cross-reference.md`.
O `tests/integration/docs.test.js` falha quando uma delas está desatualizada ou quando
algum trecho não é citado por nenhuma lição. Para ver como um evento passa por essas
funções, veja a [arquitetura](architecture.md). Para o vocabulário, veja o
[glossário](glossary.md).

| ID | o trecho (nosso resumo) | linhas nas lições | posix_impl | chamadas de sistema |
| --- | --- | --- | --- | --- |
EOF
}

# render en|pt: the page in that language.
render() {
    local lang=$1 rows
    if [[ $lang == pt ]]; then render_header_pt; rows=$ROWS_PT; else render_header_en; rows=$ROWS; fi
    local missing=0 id about impl calls where
    while IFS='|' read -r id about impl calls; do
        id=$(echo "$id" | xargs)
        where=$(cited_at "$id")
        if [[ -z $where ]]; then
            echo "xref.sh: [doc $id] is not cited in any lessons/*/main.cpp" >&2
            missing=1
            where="**not cited**"
        fi
        printf '| %s |%s| %s |%s|%s |\n' "$id" "$about" "$where" "$impl" "$calls"
    done <<< "$rows"
    return $missing
}

# The two tables must list the same IDs in the same order.
ids() { cut -d'|' -f1 <<< "$1" | xargs; }
if [[ $(ids "$ROWS") != "$(ids "$ROWS_PT")" ]]; then
    echo "xref.sh: ROWS and ROWS_PT list different IDs" >&2
    exit 1
fi

case ${1:-} in
    --check)
        status=0
        for page in en:docs/cross-reference.md pt:docs/pt/cross-reference.md; do
            lang=${page%%:*} file=${page#*:}
            fresh=$(render "$lang") || exit 1
            if [[ $fresh != "$(cat "$file" 2>/dev/null)" ]]; then
                flag=""; [[ $lang == pt ]] && flag=" --pt"
                echo "xref.sh: $file is stale: run bash scripts/xref.sh$flag > $file" >&2
                status=1
            else
                echo "xref.sh: $file is up to date"
            fi
        done
        exit $status ;;
    --pt) render pt ;;
    *) render en ;;
esac
