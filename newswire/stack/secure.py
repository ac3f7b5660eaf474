"""``newswire stack up --secure``: the same Kafka and Elasticsearch with TLS and logins.

It runs beside the plain stack, never instead of it: its own folder
(``NEWSWIRE_HOME/secure``: certificates, configuration, data, logs, pids, passwords) and
its own ports (the plain ones plus ``NEWSWIRE_SECURE_PORT_OFFSET``: 29092, 29093, 29200,
29300 by default). Only the downloaded distributions are shared, read-only.

* Kafka: one SASL_SSL listener with SCRAM-SHA-512 (users ``admin`` and ``newswire`` added
  at format time), a PEM keystore; the KRaft controller listener stays on 127.0.0.1 in
  plain text (it serves no client requests of the pipeline).
* Elasticsearch: ``xpack.security`` on, TLS on HTTP and transport, the least-privilege
  roles of :mod:`newswire.security` and three file-realm users: ``newswire`` (writer),
  ``newswire_reader`` and ``newswire_admin`` (superuser, for set-up and clean-up only).
  The minimal distribution cannot hold API keys (see ``_file_realm``).

``client.env`` in that folder holds what a client needs (``export`` lines).
"""

from __future__ import annotations

import base64
import json
import os
import pwd
import secrets
import shutil
import ssl
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from newswire.stack.certs import Certificates, make_certificates
from newswire.stack.errors import StackError
from newswire.stack.jdk import Jdk
from newswire.stack.manager import Report, Stack, UpResult
from newswire.stack.process import ManagedProcess
from newswire.stack.services import (
    _KAFKA_LOG4J,
    ElasticsearchService,
    KafkaService,
    _chown_tree,
    broker_basics,
    kafka_cluster_id,
)
from wire.settings import Settings

KAFKA_ADMIN = "admin"
KAFKA_USER = "newswire"
MECHANISM = "SCRAM-SHA-512"
ES_ADMIN = "newswire_admin"
# user, key in the secrets file, role
ES_USERS = (
    (ES_ADMIN, "es_admin", "superuser"),
    ("newswire", "es_newswire", "newswire_writer"),
    ("newswire_reader", "es_reader", "newswire_reader"),
)


def secure_settings(settings: Settings) -> Settings:
    """The plain settings moved to the secure stack's ports (the home stays: downloads)."""
    return settings.ports_moved(settings.secure_port_offset)


class Secrets:
    """Passwords of the secure stack, made once, kept in a 0600 file in its folder."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, str]:
        if self.path.exists():
            return dict(json.loads(self.path.read_text()))
        values = {
            name: secrets.token_urlsafe(24)
            for name in ("kafka_admin", "kafka_newswire", "es_admin", "es_newswire", "es_reader")
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch(mode=0o600)
        self.path.write_text(json.dumps(values))
        return values

    def update(self, **values: str) -> None:
        data = {**self.load(), **values}
        self.path.write_text(json.dumps(data))


def _relocate(service: KafkaService | ElasticsearchService, home: Path) -> None:
    service.data = home / "data" / service.name
    service.logs = home / "logs" / service.name
    pidfile = home / "run" / f"{service.name}.pid"
    log = service.logs / "stdout.log"
    service.process = ManagedProcess(f"{service.label} (secure)", pidfile, log)


class SecureKafka(KafkaService):
    def __init__(self, settings: Settings, home: Path, certs: Certificates, keys: Secrets) -> None:
        super().__init__(settings)
        _relocate(self, home)
        self.conf = home / "config" / "kafka"
        self.certs = certs
        self.keys = keys

    def client_config(self, user: str = KAFKA_ADMIN) -> dict[str, Any]:
        password = self.keys.load()["kafka_admin" if user == KAFKA_ADMIN else "kafka_newswire"]
        return {
            "bootstrap_servers": self.bootstrap,
            "security_protocol": "SASL_SSL",
            "ssl_cafile": str(self.certs.ca),
            "sasl_mechanism": MECHANISM,
            "sasl_plain_username": user,
            "sasl_plain_password": password,
        }

    def _properties(self) -> Path:
        s = self.settings
        admin = self.keys.load()["kafka_admin"]
        self.conf.mkdir(parents=True, exist_ok=True)
        path = self.conf / "server.properties"
        path.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.voters=1@127.0.0.1:{s.kafka_controller_port}",
                    f"listeners=SASL_SSL://127.0.0.1:{s.kafka_port},"
                    f"CONTROLLER://127.0.0.1:{s.kafka_controller_port}",
                    f"advertised.listeners=SASL_SSL://127.0.0.1:{s.kafka_port}",
                    "controller.listener.names=CONTROLLER",
                    "inter.broker.listener.name=SASL_SSL",
                    "listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT",
                    f"sasl.enabled.mechanisms={MECHANISM}",
                    f"sasl.mechanism.inter.broker.protocol={MECHANISM}",
                    "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config="
                    "org.apache.kafka.common.security.scram.ScramLoginModule required "
                    f'username="{KAFKA_ADMIN}" password="{admin}";',
                    "ssl.keystore.type=PEM",
                    f"ssl.keystore.location={self.certs.server_bundle}",
                    "ssl.truststore.type=PEM",
                    f"ssl.truststore.location={self.certs.ca}",
                    "ssl.endpoint.identification.algorithm=https",
                    *broker_basics(s, self.data),
                ]
            )
        )
        path.chmod(0o600)  # it holds the admin password
        (self.conf / "log4j2.yaml").write_text(_KAFKA_LOG4J.format(logs=self.logs))
        return path

    def _java(self, jdk: Jdk, main: str, *args: str, heap: bool = False) -> list[str]:
        argv = super()._java(jdk, main, *args, heap=heap)
        return [
            f"-Dlog4j2.configurationFile={self.conf / 'log4j2.yaml'}"
            if a.startswith("-Dlog4j2.configurationFile=")
            else a
            for a in argv
        ]

    def start(self) -> Jdk:
        jdk = self.jdk()
        props = self._properties()
        keys = self.keys.load()
        self.logs.mkdir(parents=True, exist_ok=True)
        if not (self.data / "meta.properties").exists():
            self.data.mkdir(parents=True, exist_ok=True)
            cluster_id = kafka_cluster_id()  # never starting with "-" (see there)
            scram = [
                f"{MECHANISM}=[name={KAFKA_ADMIN},password={keys['kafka_admin']}]",
                f"{MECHANISM}=[name={KAFKA_USER},password={keys['kafka_newswire']}]",
            ]
            fmt = subprocess.run(
                self._java(jdk, "kafka.tools.StorageTool", "format", "-t", cluster_id,
                           "-c", str(props), "--ignore-formatted",
                           "--add-scram", scram[0], "--add-scram", scram[1]),
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            if fmt.returncode != 0:
                log = self.logs / "format.log"
                log.write_text(fmt.stdout + fmt.stderr)
                raise StackError("Kafka storage format failed", str(log))
        self.process.start(
            self._java(jdk, "kafka.Kafka", str(props), heap=True), cwd=self.conf, env=os.environ
        )
        return jdk

    def admin_config(self) -> dict[str, Any]:
        return self.client_config()


class SecureElasticsearch(ElasticsearchService):
    def __init__(self, settings: Settings, home: Path, certs: Certificates, keys: Secrets) -> None:
        super().__init__(settings)
        _relocate(self, home)
        self.conf = home / "config" / "elasticsearch"
        self.certs = certs
        self.keys = keys

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.settings.elasticsearch_port}"

    def _configure(self, user: str | None) -> None:
        s = self.settings
        for path in (self.data, self.logs):
            path.mkdir(parents=True, exist_ok=True)
        if not (self.conf / "jvm.options").exists():
            # The distribution's own files (JVM options, logging, file realm), not its yml.
            shutil.copytree(self.home / "config", self.conf, dirs_exist_ok=True)
            (self.conf / "elasticsearch.keystore").unlink(missing_ok=True)
        (self.conf / "certs").mkdir(exist_ok=True)
        for src in (self.certs.ca, self.certs.server_cert, self.certs.server_key):
            shutil.copy2(src, self.conf / "certs" / src.name)
        ssl_files = [
            "certificate: certs/server.pem",
            "key: certs/server.key",
            "certificate_authorities: [certs/ca.pem]",
        ]
        (self.conf / "elasticsearch.yml").write_text(
            "\n".join(
                [
                    "cluster.name: newswire-secure",
                    "node.name: secure",
                    "network.host: 127.0.0.1",
                    f"http.port: {s.elasticsearch_port}",
                    f"transport.port: {s.elasticsearch_transport_port}",
                    "discovery.type: single-node",
                    "xpack.security.enabled: true",
                    "xpack.security.http.ssl.enabled: true",
                    *(f"xpack.security.http.ssl.{line}" for line in ssl_files),
                    "xpack.security.transport.ssl.enabled: true",
                    "xpack.security.transport.ssl.verification_mode: certificate",
                    *(f"xpack.security.transport.ssl.{line}" for line in ssl_files),
                    "xpack.security.authc.api_key.enabled: true",
                    "cluster.routing.allocation.disk.threshold_enabled: false",
                    f"path.data: {self.data}",
                    f"path.logs: {self.logs}",
                    "",
                ]
            )
        )
        self._file_realm()
        if user:
            pw = pwd.getpwnam(user)
            for path in (self.root, self.data, self.logs):
                _chown_tree(path, pw.pw_uid, pw.pw_gid)
            for dirpath, _, filenames in os.walk(self.conf):  # root wrote some of it just now
                for name in [".", *filenames]:
                    os.chown(os.path.join(dirpath, name), pw.pw_uid, pw.pw_gid)

    def _file_realm(self) -> None:
        """The roles and users, in the file realm (``roles.yml``, ``users``).

        The minimal distribution fetched from Maven Central lacks the analysis module the
        ``.security`` index needs, so native users and API keys cannot exist here; file
        users with the same least-privilege roles can (a full cluster: ``newswire
        security create-keys``). Users are added once, with the distribution's tool.
        """
        from newswire.security import READER_ROLE, WRITER_ROLE, reader_role, writer_role

        roles = {WRITER_ROLE: writer_role(self.settings), READER_ROLE: reader_role(self.settings)}
        (self.conf / "roles.yml").write_text(yaml.safe_dump(roles, sort_keys=False))
        users = self.conf / "users"
        have = (
            {line.split(":", 1)[0] for line in users.read_text().splitlines()}
            if (users.exists())
            else set()
        )
        keys = self.keys.load()
        env = {**os.environ, "ES_PATH_CONF": str(self.conf), "ES_JAVA_HOME": str(self.jdk().home)}
        tool = str(self.home / "bin" / "elasticsearch-users")
        for name, key, role in ES_USERS:
            if name in have:
                continue
            done = subprocess.run(
                [tool, "useradd", name, "-p", keys[key], "-r", role],
                env=env, capture_output=True, text=True, check=False,
            )  # fmt: skip
            if done.returncode != 0:
                raise StackError(f"elasticsearch-users useradd {name} failed: {done.stderr[-300:]}")

    def start(self) -> Jdk:
        old = os.environ.get("ES_PATH_CONF")
        os.environ["ES_PATH_CONF"] = str(self.conf)  # super().start() copies os.environ
        try:
            return super().start()
        finally:
            if old is None:
                os.environ.pop("ES_PATH_CONF", None)
            else:
                os.environ["ES_PATH_CONF"] = old

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.certs.ca))

    def request(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        """One REST call as the stack's superuser (raises OSError/ValueError on failure)."""
        auth = base64.b64encode(f"{ES_ADMIN}:{self.keys.load()['es_admin']}".encode()).decode()
        req = urllib.request.Request(
            self.url + path,
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={"Authorization": f"Basic {auth}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10, context=self.ssl_context()) as resp:
            return dict(json.load(resp))

    def _get(self, path: str) -> dict[str, Any] | None:
        try:
            return self.request("GET", path)
        except (OSError, ValueError):
            return None


class SecureStack(Stack):
    """The secure stack: the plain stack's life cycle with the two secured services."""

    def __init__(self, settings: Settings) -> None:
        self.base_home = settings.home
        self.home = settings.home / "secure"
        self.certs = Certificates(self.home / "certs")
        self.keys = Secrets(self.home / "secrets.json")
        self.settings = secure_settings(settings)
        self.kafka = SecureKafka(self.settings, self.home, self.certs, self.keys)
        self.elasticsearch = SecureElasticsearch(self.settings, self.home, self.certs, self.keys)

    @property
    def client_env_file(self) -> Path:
        return self.home / "client.env"

    def prepare(self) -> None:
        """Certificates and passwords before the first start (kept afterwards)."""
        self.home.mkdir(parents=True, exist_ok=True)
        self.home.chmod(0o755)  # Elasticsearch's user must reach its folders in here
        make_certificates(self.certs.folder)
        self.keys.load()

    def up(self, report: Report = lambda _: None) -> UpResult:
        self.prepare()
        result = super().up(report)
        self.client_env_file.touch(mode=0o600)
        self.client_env_file.write_text("".join(f"export {k}={v}\n" for k, v in self.client_env()))
        return result

    def client_env(self, reader: bool = False) -> list[tuple[str, str]]:
        """The NEWSWIRE_* settings a pipeline client needs (``reader``: for the API)."""
        keys = self.keys.load()
        user, key = ("newswire_reader", "es_reader") if reader else ("newswire", "es_newswire")
        return [
            ("NEWSWIRE_KAFKA_BOOTSTRAP", self.kafka.bootstrap),
            ("NEWSWIRE_KAFKA_SECURITY_PROTOCOL", "SASL_SSL"),
            ("NEWSWIRE_KAFKA_SSL_CAFILE", str(self.certs.ca)),
            ("NEWSWIRE_KAFKA_SASL_MECHANISM", MECHANISM),
            ("NEWSWIRE_KAFKA_SASL_USERNAME", KAFKA_USER),
            ("NEWSWIRE_KAFKA_SASL_PASSWORD", keys["kafka_newswire"]),
            ("NEWSWIRE_ELASTICSEARCH_URL", self.elasticsearch.url),
            ("NEWSWIRE_ELASTICSEARCH_CA_CERTS", str(self.certs.ca)),
            ("NEWSWIRE_ELASTICSEARCH_USERNAME", user),
            ("NEWSWIRE_ELASTICSEARCH_PASSWORD", keys[key]),
            ("NEWSWIRE_PROCESSOR_DATA_DIR", str(self.processor_dir())),
        ]

    def processor_dir(self) -> Path:
        return self.home / "processor"

    def reset(self, report: Report = lambda _: None) -> list[Path]:
        """Stop the secure stack and delete its data, keys and configuration, never the
        plain stack's (its own ``reset`` deletes the processor folder of the plain home)."""
        self.down(report)
        removed = []
        for path in (*(s.data for s in self.services), self.processor_dir(), self.home / "config"):
            if path.exists():
                report(f"deleting {path}")
                shutil.rmtree(path)
                removed.append(path)
        self.client_env_file.unlink(missing_ok=True)
        self.keys.path.unlink(missing_ok=True)  # new passwords go with new data
        return removed
