"""Answering a widget message once per client id, within the reply deadline.

The first attempt with a client id claims it (``assistant.channels.replies_store``) and asks
the bot; its replies are stored and every retry gets exactly those. While the first attempt
is still running (a slow turn, or another replica), a retry waits up to the reply deadline
for its replies, then gets the apology (made for that message, in its language); it never
asks the bot a second time. If the first attempt's replica dies meanwhile, the retry takes
the claim over: it answers from the tracker when the dead replica had already stored the
turn (the client id is the message's ``message_id``), else it asks the bot. A turn that
failed releases the id, so a retry is answered afresh; a turn that outlived the deadline
(the patient got the apology) stores its replies when it ends, for a later retry.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Coroutine, Dict, List, Optional, Set, Tuple

from rasa.core.channels.channel import UserMessage

from assistant.channels.output import AnnotatedOutputChannel, collect_replies, emergency_first
from assistant.channels.replies_store import (
    AnsweredRequests,
    ClaimState,
    Key,
    RepliesUnavailable,
    Reply,
)

logger = logging.getLogger(__name__)

Handler = Callable[[UserMessage], Awaitable[Any]]
# The bot messages that answered a message already in the tracker (``tracker_replies``).
Replay = Callable[[UserMessage], Awaitable[Optional[List[Dict[str, Any]]]]]


class _Turn:
    """Rasa's handling of one message, remembering whether and how it has ended."""

    def __init__(self, handle: Handler) -> None:
        self._handle = handle
        self.ended = asyncio.Event()
        self.succeeded = False

    async def run(self, message: UserMessage) -> None:
        try:
            await self._handle(message)
            self.succeeded = True
        finally:
            self.ended.set()


class OnceAnswerer:
    def __init__(
        self,
        reply_timeout_s: float,
        as_reply: Callable[[Dict[str, Any]], Reply],
        apology: Callable[[UserMessage], Reply],
    ) -> None:
        self.reply_timeout_s = reply_timeout_s
        self._as_reply = as_reply
        self._apology = apology
        self._background: Set[asyncio.Task] = set()

    async def answer(
        self,
        handle: Handler,
        message: UserMessage,
        store: Optional[AnsweredRequests],
        replay: Optional[Replay] = None,
    ) -> List[Reply]:
        """The replies to ``message`` (its metadata's ``client_id`` names it; ``store`` None:
        no retry check; ``replay`` reads a taken-over message's replies from the tracker)."""
        client_id = str((message.metadata or {}).get("client_id") or "")
        if store is None or not client_id:
            return await self._ask(handle, message, None)
        key = (message.sender_id, client_id)
        try:
            claim = await store.claim(*key)
        except RepliesUnavailable as error:
            logger.warning("%s; answering without the retry check", error)
            return await self._ask(handle, message, None)
        if claim.state is ClaimState.BUSY:
            try:
                claim = await store.wait(*key, timeout_s=self.reply_timeout_s)
            except RepliesUnavailable as error:  # never a second turn: the apology
                logger.warning("%s", error)
                return [self._apology(message)]
        if claim.state is ClaimState.ANSWERED:
            return list(claim.replies or [])
        if claim.state is ClaimState.BUSY:
            return [self._apology(message)]
        if claim.taken_over and replay is not None:
            stored = await replay(message)
            if stored:
                answer = [self._as_reply(m) for m in stored]
                await store.record(key, answer)
                return answer
        return await self._ask(handle, message, (store, key))

    async def _ask(
        self,
        handle: Handler,
        message: UserMessage,
        claimed: Optional[Tuple[AnsweredRequests, Key]],
    ) -> List[Reply]:
        collector = message.output_channel
        if not isinstance(collector, AnnotatedOutputChannel):
            raise TypeError("the message needs an AnnotatedOutputChannel")
        turn = _Turn(handle)
        replies = await collect_replies(turn.run, message, self.reply_timeout_s)
        answer = [self._as_reply(m) for m in replies] if replies is not None else None
        if claimed is not None:
            store, key = claimed
            if answer is not None:
                await store.record(key, answer)
            elif turn.ended.is_set():  # failed: a retry asks the bot again
                await store.release(key)
            else:  # still running: a retry gets the replies once they are there
                self._in_background(self._record_late(turn, collector, store, key))
        return answer if answer is not None else [self._apology(message)]

    async def _record_late(
        self,
        turn: _Turn,
        collector: AnnotatedOutputChannel,
        store: AnsweredRequests,
        key: Key,
    ) -> None:
        await turn.ended.wait()
        if turn.succeeded and collector.messages:
            replies = emergency_first(list(collector.messages))
            await store.record(key, [self._as_reply(m) for m in replies])
        else:
            await store.release(key)

    def _in_background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
