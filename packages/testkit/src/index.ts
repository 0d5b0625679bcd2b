export { TestkitError, type TestkitErrorCode } from './errors/testkit-error.js';
export { findFreePort, RESERVED_REDIS_PORT } from './net/free-port.js';
export { listen } from './net/listen.js';
export { trackSockets, destroySockets, closeServer } from './net/socket-tracker.js';
export { registerChild, signalChild } from './process/child-registry.js';
export { exitStatus, waitForExit } from './process/exit-code.js';

export {
  startRedisServer,
  type RedisServerProcess,
  type StartRedisServerOptions,
} from './redis/redis-server-process.js';
export { provideRedis, REDIS_IMAGE, type ProvidedRedis } from './redis/provide-redis.js';
export { pingRedis, waitForRedis } from './redis/redis-ping.js';
export { dockerAnswers, dockerMayBeAvailable } from './redis/docker-probe.js';
export { answersRedis } from './redis/redis-ping.js';
export { redisCli, redisInfo, type RedisCliOptions } from './redis/redis-cli.js';
export { startRedisCluster, type RedisCluster, type StartRedisClusterOptions } from './redis/redis-cluster.js';
export { parseClusterNodes, type ClusterNodeLine } from './redis/cluster-nodes.js';
export {
  startRedisSentinelGroup,
  type RedisSentinelGroup,
  type StartSentinelGroupOptions,
} from './redis/redis-sentinel-group.js';

export { type BackendMode, BACKEND_MODES } from './backends/backend-mode.js';
export {
  startTestBackend,
  type TestBackend,
  type TestBackendOptions,
  type TestBackendReply,
} from './backends/test-backend.js';
export { createEchoWebSocketServer, ECHO_MAX_PAYLOAD } from './backends/echo-websocket-server.js';
export { writeChunkedRefusal } from './backends/chunked-refusal.js';
export {
  startRecordingHttpBackend,
  type RecordingHttpBackend,
  type ParsedRequest,
} from './backends/recording-http-backend.js';
export {
  startSocketIoBackend,
  type SocketIoBackend,
  type SocketIoBackendOptions,
  type SocketIoEchoAck,
} from './backends/socket-io-backend.js';

export {
  openRecordingClient,
  type RecordingClient,
  type RecordingClientOptions,
  type RecordedMessage,
  type CloseInfo,
} from './clients/recording-ws-client.js';
export { UnexpectedResponseError } from './clients/unexpected-response-error.js';
export { MessageQueue } from './clients/message-queue.js';
export {
  rawExchange,
  rawUpgrade,
  websocketHandshakeText,
  type RawExchangeOptions,
  type RawExchangeResult,
} from './clients/raw-exchange.js';
export { parseHttpResponse, decodeChunked, type ParsedHttpResponse } from './clients/http-response-parser.js';
export { RawWebSocket, clientFrame, type ReceivedFrame } from './clients/raw-websocket.js';
export { RawHttpConnection, type RawResponse } from './clients/raw-http-connection.js';
export { requestText, type RequestTextOptions, type TextResponse } from './clients/http-request.js';

export { MOORING_BIN } from './node/mooring-bin.js';
export { LogCollector, type LogLine } from './node/log-collector.js';
export { startMooringNode, type MooringNode, type MooringNodeOptions } from './node/mooring-node.js';
export { runMooring, type MooringRunResult, type RunMooringOptions } from './node/run-mooring.js';
