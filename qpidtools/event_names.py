"""Names of QMF events that the command line needs before anything connects (fast to import)."""

#: qpidd's severity words, by the number an event's ``_severity`` carries.
SEVERITIES = ("emerg", "alert", "crit", "error", "warn", "note", "info", "debug")

#: The event classes the recorded qpidd raised (others may exist; any class is accepted).
KNOWN_CLASSES = (
    "bind", "brokerLinkDown", "brokerLinkUp", "clientConnect", "clientConnectFail",
    "clientDisconnect", "exchangeDeclare", "exchangeDelete", "fileLoadFailed", "queueDeclare",
    "queueDelete", "queueRedirect", "queueRedirectCancelled", "queueThresholdCrossedDownward",
    "queueThresholdCrossedUpward", "queueThresholdExceeded", "subscribe", "unbind",
    "unsubscribe",
)  # fmt: skip
