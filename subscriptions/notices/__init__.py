"""Letters, e-mails and text messages to customers, each sent once even when its task is retried
(files: the subscription file; suspensions: a line suspended or restored)."""
