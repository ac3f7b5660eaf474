"""Fetch the services' jars from Maven Central with ``mvn``, cached under the stack home."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

from newswire.stack.errors import StackError

_KAFKA_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>io.newswire.local</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId>
      <version>{kafka}</version>
    </dependency>
    <!-- The published POM brings no log4j2 binding, and slf4j 1.7 would not find one. -->
    <dependency>
      <groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId>
      <version>{log4j}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId>
      <version>{log4j}</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId>
      <version>{slf4j}</version>
    </dependency>
  </dependencies>
</project>
"""
LOG4J_VERSION = "2.25.3"
SLF4J_VERSION = "2.0.17"


def _mvn() -> str:
    mvn = shutil.which("mvn")
    if not mvn:
        raise StackError(
            "Maven (`mvn`) is needed to fetch Kafka and Elasticsearch from Maven Central. "
            "Install it (`apt-get install maven`), or run the stack with `docker compose up`."
        )
    return mvn


def _run_mvn(args: list[str], cwd: Path, log: Path) -> None:
    with log.open("w") as out:
        proc = subprocess.run(
            [_mvn(), "-B", "-q", *args], cwd=cwd, stdout=out, stderr=subprocess.STDOUT, check=False
        )
    if proc.returncode != 0:
        raise StackError(f"mvn {' '.join(args[:1])} failed (exit {proc.returncode})", str(log))


def fetch_kafka(version: str, target: Path) -> Path:
    """Kafka's runtime classpath in ``target/libs``; returns that folder."""
    libs = target / "libs"
    marker = target / ".complete"
    if marker.exists():
        return libs
    target.mkdir(parents=True, exist_ok=True)
    (target / "pom.xml").write_text(
        _KAFKA_POM.format(kafka=version, log4j=LOG4J_VERSION, slf4j=SLF4J_VERSION)
    )
    if libs.exists():
        shutil.rmtree(libs)
    _run_mvn(
        ["dependency:copy-dependencies", f"-DoutputDirectory={libs}", "-DincludeScope=runtime"],
        cwd=target,
        log=target / "mvn.log",
    )
    marker.write_text(version)
    return libs


def fetch_elasticsearch(version: str, target: Path) -> Path:
    """The minimal Elasticsearch distribution unpacked into ``target``; returns its home."""
    home = target / f"elasticsearch-{version}"
    marker = target / ".complete"
    if marker.exists() and home.is_dir():
        return home
    target.mkdir(parents=True, exist_ok=True)
    artifact = f"org.elasticsearch.distribution.integ-test-zip:elasticsearch:{version}:zip"
    _run_mvn(
        ["dependency:copy", f"-Dartifact={artifact}", f"-DoutputDirectory={target}"],
        cwd=target,
        log=target / "mvn.log",
    )
    archive = target / f"elasticsearch-{version}.zip"
    if home.exists():
        shutil.rmtree(home)
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(target)
    for script in (home / "bin").iterdir():
        script.chmod(0o755)
    archive.unlink()
    marker.write_text(version)
    return home
