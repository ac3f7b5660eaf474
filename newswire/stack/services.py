"""The two services of the local stack: Kafka (KRaft, combined mode) and Elasticsearch."""

from __future__ import annotations

import base64
import json
import os
import pwd
import shutil
import socket
import subprocess
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newswire.stack import maven
from newswire.stack.errors import StackError
from newswire.stack.jdk import Jdk, find_jdk
from newswire.stack.process import ManagedProcess, wait_until
from wire.settings import Settings

_KAFKA_LOG4J = """Configuration:
  Appenders:
    RollingFile:
      name: FILE
      fileName: "{logs}/server.log"
      filePattern: "{logs}/server.log.%i"
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
      Policies:
        SizeBasedTriggeringPolicy:
          size: 20MB
      DefaultRolloverStrategy:
        max: 3
  Loggers:
    Root:
      level: INFO
      AppenderRef:
        - ref: FILE
    Logger:
      - name: kafka.server.KafkaConfig
        level: WARN
"""


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def broker_basics(s: Settings, data: Path) -> list[str]:
    """The single-node broker settings the plain and the secure Kafka share (last line
    empty, so the file ends with a newline)."""
    return [
        f"log.dirs={data}",
        f"num.partitions={s.topic_partitions}",
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=10",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "share.coordinator.state.topic.replication.factor=1",
        "group.initial.rebalance.delay.ms=0",
        "auto.create.topics.enable=true",
        f"message.max.bytes={s.max_raw_bytes + 1024 * 1024}",
        "log.retention.hours=168",
        "",
    ]


def kafka_cluster_id() -> str:
    """A random cluster id for ``kafka-storage format -t``: 16 bytes, URL-safe base64, as
    Kafka's own ``Uuid.randomUuid`` makes them, and likewise never starting with ``-``
    (one in 32 did, and the tool then read the id as an option and refused to format)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


@dataclass
class ServiceStatus:
    name: str
    version: str
    ports: list[int]
    pid: int | None
    healthy: bool
    detail: str = ""
    log: str = ""


class _JavaService:
    """What both services share: where their files live, their process, their JDK."""

    name: str
    label: str
    min_java: int

    def __init__(self, settings: Settings, dist: str) -> None:
        self.settings = settings
        self.root = settings.home / dist
        self.data = settings.home / "data" / self.name
        self.logs = settings.home / "logs" / self.name
        self.process = ManagedProcess(
            self.label, settings.home / "run" / f"{self.name}.pid", self.logs / "stdout.log"
        )

    def jdk(self) -> Jdk:
        return find_jdk(self.min_java, self.settings.java_home, self.settings.jvm_dirs)


class KafkaService(_JavaService):
    name = "kafka"
    label = "Kafka"
    min_java = 17

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, f"kafka-{settings.kafka_version}")

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.settings.kafka_port}"

    def fetch(self) -> None:
        maven.fetch_kafka(self.settings.kafka_version, self.root)

    def _properties(self) -> Path:
        s = self.settings
        path = self.root / "server.properties"
        path.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.voters=1@127.0.0.1:{s.kafka_controller_port}",
                    f"listeners=PLAINTEXT://127.0.0.1:{s.kafka_port},"
                    f"CONTROLLER://127.0.0.1:{s.kafka_controller_port}",
                    f"advertised.listeners=PLAINTEXT://127.0.0.1:{s.kafka_port}",
                    "controller.listener.names=CONTROLLER",
                    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                    *broker_basics(s, self.data),
                ]
            )
        )
        (self.root / "log4j2.yaml").write_text(_KAFKA_LOG4J.format(logs=self.logs))
        return path

    def _java(self, jdk: Jdk, main: str, *args: str, heap: bool = False) -> list[str]:
        opts = [f"-Xms{self.settings.heap_mb}m", f"-Xmx{self.settings.heap_mb}m"] if heap else []
        return [
            str(jdk.java),
            *opts,
            "-XX:+UseG1GC",
            f"-Dlog4j2.configurationFile={self.root / 'log4j2.yaml'}",
            "-cp",
            str(self.root / "libs" / "*"),
            main,
            *args,
        ]

    def start(self) -> Jdk:
        jdk = self.jdk()
        props = self._properties()
        self.logs.mkdir(parents=True, exist_ok=True)
        if not (self.data / "meta.properties").exists():
            self.data.mkdir(parents=True, exist_ok=True)
            cluster_id = kafka_cluster_id()
            fmt = subprocess.run(
                self._java(jdk, "kafka.tools.StorageTool", "format", "-t", cluster_id,
                           "-c", str(props), "--ignore-formatted"),
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            if fmt.returncode != 0:
                log = self.logs / "format.log"
                log.write_text(fmt.stdout + fmt.stderr)
                raise StackError("Kafka storage format failed", str(log))
        self.process.start(
            self._java(jdk, "kafka.Kafka", str(props), heap=True),
            cwd=self.root,
            env=os.environ,
        )
        return jdk

    def admin_config(self) -> dict[str, Any]:
        """How the readiness check's admin client connects (the secure broker adds TLS
        and a login)."""
        return {"bootstrap_servers": self.bootstrap}

    def ready(self) -> bool:
        if not port_open(self.settings.kafka_port):
            return False
        from kafka import KafkaAdminClient
        from kafka.errors import KafkaError

        try:
            admin = KafkaAdminClient(**self.admin_config(), request_timeout_ms=3000)
        except KafkaError:
            return False
        try:
            return bool(admin.describe_cluster().get("brokers"))
        except KafkaError:
            return False
        finally:
            admin.close()

    def wait(self, timeout: float = 120) -> None:
        wait_until(self.ready, timeout=timeout, process=self.process, what="Kafka")

    def status(self) -> ServiceStatus:
        pid = self.process.pid()
        healthy = pid is not None and self.ready()
        return ServiceStatus(
            name="Kafka (KRaft)",
            version=self.settings.kafka_version,
            ports=[self.settings.kafka_port, self.settings.kafka_controller_port],
            pid=pid,
            healthy=healthy,
            detail=f"bootstrap {self.bootstrap}" if healthy else "",
            log=str(self.logs / "server.log"),
        )


class ElasticsearchService(_JavaService):
    name = "elasticsearch"
    label = "Elasticsearch"
    min_java = 21

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, f"elasticsearch-dist-{settings.elasticsearch_version}")
        self.home = self.root / f"elasticsearch-{settings.elasticsearch_version}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.elasticsearch_port}"

    def fetch(self) -> None:
        maven.fetch_elasticsearch(self.settings.elasticsearch_version, self.root)

    def _run_as(self) -> str | None:
        """Elasticsearch refuses to run as root: use (and create) a dedicated user."""
        if os.geteuid() != 0:
            return None
        user = self.settings.es_user
        try:
            pwd.getpwnam(user)
        except KeyError:
            subprocess.run(
                ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", user],
                check=True,
            )
        return user

    def _configure(self, user: str | None) -> None:
        s = self.settings
        self.data.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        (self.home / "config" / "elasticsearch.yml").write_text(
            "\n".join(
                [
                    "cluster.name: newswire-local",
                    "node.name: local",
                    "network.host: 127.0.0.1",
                    f"http.port: {s.elasticsearch_port}",
                    f"transport.port: {s.elasticsearch_transport_port}",
                    "discovery.type: single-node",
                    "xpack.security.enabled: false",
                    "cluster.routing.allocation.disk.threshold_enabled: false",
                    "action.destructive_requires_name: false",
                    f"path.data: {self.data}",
                    f"path.logs: {self.logs}",
                    "",
                ]
            )
        )
        if user:
            pw = pwd.getpwnam(user)
            for path in (self.root, self.data, self.logs):
                _chown_tree(path, pw.pw_uid, pw.pw_gid)
            # The user must be able to reach the folders from /.
            for parent in (*self.root.parents, *self.data.parents):
                if parent.exists() and not parent.stat().st_mode & 0o001:
                    raise StackError(
                        f"Elasticsearch runs as user {user!r}, who cannot enter {parent}. "
                        "Set NEWSWIRE_HOME to a folder outside it (the default for root is "
                        "/var/cache/newswire)."
                    )

    def start(self) -> Jdk:
        jdk = self.jdk()
        user = self._run_as()
        self._configure(user)
        env = dict(os.environ)
        env.update(
            ES_JAVA_HOME=str(jdk.home),
            ES_JAVA_OPTS=f"-Xms{self.settings.heap_mb}m -Xmx{self.settings.heap_mb}m",
            ES_TMPDIR=str(self.data / "tmp"),
        )
        (self.data / "tmp").mkdir(exist_ok=True)
        if user:
            pw = pwd.getpwnam(user)
            os.chown(self.data / "tmp", pw.pw_uid, pw.pw_gid)
            env["HOME"] = str(self.data)
        self.process.start(
            [str(self.home / "bin" / "elasticsearch")], cwd=self.home, env=env, user=user
        )
        return jdk

    def _get(self, path: str) -> dict[str, Any] | None:
        try:
            with urllib.request.urlopen(self.url + path, timeout=5) as resp:
                return dict(json.load(resp))
        except (OSError, ValueError):
            return None

    def ready(self) -> bool:
        if not port_open(self.settings.elasticsearch_port):
            return False
        return _healthy(self._get("/_cluster/health?wait_for_status=yellow&timeout=2s"))

    def wait(self, timeout: float = 180) -> None:
        wait_until(self.ready, timeout=timeout, process=self.process, what="Elasticsearch")

    def status(self) -> ServiceStatus:
        pid = self.process.pid()
        health = self._get("/_cluster/health") if pid else None
        info = self._get("/") if health else None
        version = (info or {}).get("version", {}).get("number", self.settings.elasticsearch_version)
        return ServiceStatus(
            name="Elasticsearch",
            version=version,
            ports=[self.settings.elasticsearch_port, self.settings.elasticsearch_transport_port],
            pid=pid,
            healthy=_healthy(health),
            detail=f"cluster {health.get('status')}" if health else "",
            log=str(self.logs / "newswire-local.log"),
        )


def _healthy(health: dict[str, Any] | None) -> bool:
    return health is not None and health.get("status") in ("green", "yellow")


def _chown_tree(path: Path, uid: int, gid: int) -> None:
    if path.stat().st_uid == uid:
        return  # already done on an earlier start
    shutil.chown(path, uid, gid)
    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames + filenames:
            os.chown(os.path.join(dirpath, name), uid, gid, follow_symlinks=False)
