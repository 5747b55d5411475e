import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App.js";
import { SessionController } from "./session.js";
import "./styles.css";

const session = new SessionController();
const container = document.getElementById("root");
if (!container) throw new Error("#root is missing from index.html");

createRoot(container).render(
  <StrictMode>
    <App session={session} />
  </StrictMode>,
);
void session.init();
