#!/bin/sh
# kafka-topics.sh as in a Kafka distribution (the compose stack's topic creation uses it); tools log to stderr.
exec java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "/opt/kafka/config:/opt/kafka/libs/*" org.apache.kafka.tools.TopicCommand "$@"
