import { useId, useState, type FormEvent, type KeyboardEvent } from "react";
import { isBlankMessage, MESSAGE_MAX_LENGTH } from "@glp1/shared";

interface Props {
  peerName: string;
  onSend: (body: string) => void;
  onTyping: () => void;
}

/** Enter sends, Shift+Enter starts a new line. */
export function Composer({ peerName, onSend, onTyping }: Props) {
  const [text, setText] = useState("");
  const inputId = useId();
  const hintId = useId();
  const counterId = useId();
  const body = text.trim();
  const tooLong = text.length > MESSAGE_MAX_LENGTH;
  const canSend = !isBlankMessage(body) && !tooLong;

  const submit = () => {
    if (!canSend) return;
    onSend(body);
    setText("");
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    submit();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    }
  };

  const remaining = MESSAGE_MAX_LENGTH - text.length;
  return (
    <form className="composer" onSubmit={onSubmit}>
      <label htmlFor={inputId} className="visually-hidden">
        Message to {peerName}
      </label>
      <textarea
        id={inputId}
        data-testid="composer-input"
        className="composer-input"
        rows={1}
        maxLength={MESSAGE_MAX_LENGTH}
        placeholder={`Message ${peerName}`}
        value={text}
        aria-describedby={`${hintId} ${counterId}`}
        onChange={(e) => {
          setText(e.target.value);
          if (e.target.value.trim()) onTyping();
        }}
        onKeyDown={onKeyDown}
      />
      <div className="composer-side">
        <button type="submit" className="button-primary" data-testid="composer-send" disabled={!canSend}>
          Send
        </button>
        <span
          id={counterId}
          className={`composer-counter${remaining < 200 ? " near-limit" : ""}`}
          data-testid="composer-counter"
          aria-label={`${text.length} of ${MESSAGE_MAX_LENGTH} characters`}
        >
          {text.length}/{MESSAGE_MAX_LENGTH}
        </span>
      </div>
      <p id={hintId} className="composer-hint">
        Enter to send · Shift+Enter for a new line
      </p>
    </form>
  );
}
