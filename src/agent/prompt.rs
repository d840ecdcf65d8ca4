//! The prompt at each step: one user message with the task, the last two observations and
//! actions, the current observation, the admissible actions and the answer format. The
//! ALFWorld and WebShop wordings are those the paper's models were trained with (verl-agent's
//! templates, including their spelling), so a model trained there sees the same text here;
//! other environments get the ALFWorld layout under a neutral name.

/// Which wording to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Benchmark {
    Alfworld,
    Webshop,
    /// Any other text environment (the bridge's TextWorld games, say).
    Text,
}

impl Benchmark {
    pub fn parse(name: &str) -> Option<Benchmark> {
        match name {
            "alfworld" => Some(Benchmark::Alfworld),
            "webshop" => Some(Benchmark::Webshop),
            "text" => Some(Benchmark::Text),
            _ => None,
        }
    }

    /// The wording for what a bridge serves, read from its first observation: real ALFWorld
    /// and WebShop open with texts no other environment prints, so their models get their
    /// own prompts and fallback lengths; anything else (TextWorld games) the neutral wording.
    pub fn of_first_observation(observation: &str) -> Benchmark {
        if observation.starts_with("-= Welcome to TextWorld, ALFRED! =-") {
            Benchmark::Alfworld
        } else if observation.starts_with("WebShop [SEP] Instruction: [SEP] ") {
            Benchmark::Webshop
        } else {
            Benchmark::Text
        }
    }

    /// The wording for an environment kind (`env.alfworld`, ...).
    /// The wording of a built-in environment kind; `None` for environments whose wording is
    /// only known from what they show (a bridge may serve ALFWorld, WebShop or anything else:
    /// see `of_first_observation`).
    pub fn for_env(kind: &str) -> Option<Benchmark> {
        match kind {
            "env.alfworld" => Some(Benchmark::Alfworld),
            "env.webshop" => Some(Benchmark::Webshop),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Benchmark::Alfworld => "alfworld",
            Benchmark::Webshop => "webshop",
            Benchmark::Text => "text",
        }
    }
}

/// Which prompt a language model sees, and how a demonstration answers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The paper's (verl-agent's) wording, what real models were trained with.
    Paper,
    /// `agent::compact`: the task, the room, the last `history` steps and the observation,
    /// for small models trained from scratch; `local_actions`: ALFWorld's admissible
    /// actions at the current place too.
    Compact { history: usize, local_actions: bool },
}

impl Format {
    /// The prompt of the current step (see [`for_step`]).
    pub fn prompt(
        self,
        benchmark: Benchmark,
        first_observation: &str,
        history: &[(String, String)],
        seen: &crate::env::StepOutcome,
    ) -> String {
        match self {
            Format::Paper => for_step(benchmark, first_observation, history, seen),
            Format::Compact {
                history: window,
                local_actions,
            } => super::compact::for_step(
                benchmark,
                first_observation,
                history,
                seen,
                window,
                local_actions,
            ),
        }
    }

    /// A demonstration's answer taking `action`, in the answer format.
    pub fn demonstration(self, action: &str) -> String {
        match self {
            Format::Paper => {
                format!("<think>The expert's next step.</think><action>{action}</action>")
            }
            Format::Compact { .. } => super::compact::demonstration(action),
        }
    }
}

/// Steps of history the paper's prompt shows.
pub const HISTORY: usize = 2;
/// WebShop prompts longer than this fall back to the no-history prompt.
pub const WEBSHOP_MAX_CHARS: usize = 13_000;

/// Everything a prompt is made of.
#[derive(Debug, Clone, Copy)]
pub struct PromptInput<'a> {
    pub benchmark: Benchmark,
    /// The task statement (ALFWorld: after "Your task is to: "; WebShop: the instruction).
    pub task: &'a str,
    /// Every (observation, action) pair so far, oldest first.
    pub history: &'a [(String, String)],
    pub observation: &'a str,
    pub admissible: &'a [String],
}

const REASON_AND_ACT: &str = "You should first reason step-by-step about the current situation. This reasoning process MUST be enclosed within <think> </think> tags. \nOnce you've finished your reasoning, you should choose an admissible action for current step and present it within <action> </action> tags.";

const WEBSHOP_REASON_AND_ACT: &str = "You should first reason step-by-step about the current situation, then think carefully which admissible action best advances the shopping goal. This reasoning process MUST be enclosed within <think> </think> tags. \nOnce you've finished your reasoning, you should choose an admissible action for current step and present it within <action> </action> tags.";

/// The task statement inside a first observation.
pub fn task_statement(benchmark: Benchmark, first_observation: &str) -> String {
    let marker = match benchmark {
        Benchmark::Webshop => "Instruction: [SEP]",
        _ => "Your task is to: ",
    };
    let Some(at) = first_observation.find(marker) else {
        return first_observation.trim().to_string();
    };
    let rest = &first_observation[at + marker.len()..];
    let statement = match benchmark {
        Benchmark::Webshop => rest.split(" [SEP] ").next().unwrap_or(rest),
        _ => rest,
    };
    statement.trim().to_string()
}

/// The task statement of a first observation from any built-in benchmark (whichever
/// marker it carries); the whole text when it has none.
pub fn guess_task_statement(first_observation: &str) -> String {
    let benchmark = if first_observation.contains("Instruction: [SEP]") {
        Benchmark::Webshop
    } else {
        Benchmark::Alfworld
    };
    task_statement(benchmark, first_observation)
}

fn history_lines(history: &[(String, String)]) -> (usize, String) {
    let start = history.len().saturating_sub(HISTORY);
    let lines: Vec<String> = history[start..]
        .iter()
        .enumerate()
        .map(|(j, (obs, action))| {
            let k = start + j + 1;
            format!("[Observation {k}: '{obs}', Action {k}: '{action}']")
        })
        .collect();
    (history.len() - start, lines.join("\n"))
}

/// The prompt for one step.
pub fn build(input: &PromptInput) -> String {
    match input.benchmark {
        Benchmark::Webshop => {
            let full = webshop(input, true);
            if input.history.is_empty() || full.chars().count() <= WEBSHOP_MAX_CHARS {
                full
            } else {
                webshop(input, false)
            }
        }
        Benchmark::Alfworld => alfworld_like(input, "ALFRED Embodied Environment"),
        Benchmark::Text => alfworld_like(input, "text-based environment"),
    }
}

fn alfworld_like(input: &PromptInput, world: &str) -> String {
    let actions = input
        .admissible
        .iter()
        .filter(|a| *a != "help")
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join("\n ");
    let n = input.history.len();
    if n == 0 {
        return format!(
            "\nYou are an expert agent operating in the {world}.\nYour current observation is: {}\nYour admissible actions of the current situation are: [{actions}].\n\nNow it's your turn to take an action.\n{REASON_AND_ACT}\n",
            input.observation
        );
    }
    let (shown, history) = history_lines(input.history);
    format!(
        "\nYou are an expert agent operating in the {world}. Your task is to: {}\nPrior to this step, you have already taken {n} step(s). Below are the most recent {shown} observaitons and the corresponding actions you took: {history}\nYou are now at step {} and your current observation is: {}\nYour admissible actions of the current situation are: [{actions}].\n\nNow it's your turn to take an action.\n{REASON_AND_ACT}\n",
        input.task,
        n + 1,
        input.observation
    )
}

/// The prompt for the current step of an episode: the task read from its first
/// observation, the history so far, and what the environment shows now (WebShop's page
/// after the instruction, other environments their raw text).
pub fn for_step(
    benchmark: Benchmark,
    first_observation: &str,
    history: &[(String, String)],
    seen: &crate::env::StepOutcome,
) -> String {
    let observation = match benchmark {
        Benchmark::Webshop => &seen.anchor,
        _ => &seen.observation,
    };
    build(&PromptInput {
        benchmark,
        task: &task_statement(benchmark, first_observation),
        history,
        observation,
        admissible: &seen.admissible,
    })
}

fn webshop(input: &PromptInput, with_history: bool) -> String {
    let actions = input
        .admissible
        .iter()
        .map(|a| format!("'{a}',"))
        .collect::<Vec<_>>()
        .join("\n");
    let n = input.history.len();
    if n == 0 || !with_history {
        return format!(
            "\nYou are an expert autonomous agent operating in the WebShop e\u{2011}commerce environment. \nYour task is to: {}.\nYour current observation is: {}.\nYour admissible actions of the current situation are: \n[\n{actions}\n].\n\nNow it's your turn to take one action for the current step.\n{WEBSHOP_REASON_AND_ACT}\n",
            input.task, input.observation
        );
    }
    let (shown, history) = history_lines(input.history);
    format!(
        "\nYou are an expert autonomous agent operating in the WebShop e\u{2011}commerce environment.\nYour task is to: {}.\nPrior to this step, you have already taken {n} step(s). Below are the most recent {shown} observations and the corresponding actions you took: {history}\nYou are now at step {} and your current observation is: {}.\nYour admissible actions of the current situation are: \n[\n{actions}\n].\n\nNow it's your turn to take one action for the current step.\n{WEBSHOP_REASON_AND_ACT}\n",
        input.task,
        n + 1,
        input.observation
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bridge_gets_the_wording_of_what_it_serves() {
        let alf = "-= Welcome to TextWorld, ALFRED! =-\n\nYou are in the middle of a room.";
        assert_eq!(Benchmark::of_first_observation(alf), Benchmark::Alfworld);
        let web = "WebShop [SEP] Instruction: [SEP] i need a red shirt [SEP] Search";
        assert_eq!(Benchmark::of_first_observation(web), Benchmark::Webshop);
        let tw = "-= Welcome to TextWorld =-\nYou are in a kitchen.";
        assert_eq!(Benchmark::of_first_observation(tw), Benchmark::Text);
        // The fallback length follows: ALFWorld 30, WebShop 20.
        assert_eq!(crate::agent::projection::fallback_chars("alfworld"), 30);
        assert_eq!(crate::agent::projection::fallback_chars("webshop"), 20);
    }

    fn strings(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn alfworld_first_step_has_no_history_and_hides_help() {
        let admissible = strings(&["go to desk 1", "help", "look"]);
        let p = build(&PromptInput {
            benchmark: Benchmark::Alfworld,
            task: "put a mug in desk.",
            history: &[],
            observation: "You are in the middle of a room.",
            admissible: &admissible,
        });
        assert!(p.starts_with("\nYou are an expert agent operating in the ALFRED Embodied Environment.\nYour current observation is: You are in the middle of a room.\n"));
        assert!(p.contains("are: ['go to desk 1'\n 'look']."));
        assert!(!p.contains("'help'"));
        assert!(p.ends_with("present it within <action> </action> tags.\n"));
    }

    #[test]
    fn alfworld_later_steps_show_the_last_two_steps_numbered() {
        let history = vec![
            ("obs one".to_string(), "look".to_string()),
            ("obs two".to_string(), "go to desk 1".to_string()),
            (
                "obs three".to_string(),
                "take mug 1 from desk 1".to_string(),
            ),
        ];
        let admissible = strings(&["inventory"]);
        let p = build(&PromptInput {
            benchmark: Benchmark::Alfworld,
            task: "put a mug in desk.",
            history: &history,
            observation: "You pick up the mug 1 from the desk 1.",
            admissible: &admissible,
        });
        assert!(p.contains("Your task is to: put a mug in desk.\nPrior to this step, you have already taken 3 step(s). Below are the most recent 2 observaitons"));
        assert!(p.contains("took: [Observation 2: 'obs two', Action 2: 'go to desk 1']\n[Observation 3: 'obs three', Action 3: 'take mug 1 from desk 1']\nYou are now at step 4 and"));
        assert!(!p.contains("obs one"));
    }

    #[test]
    fn webshop_lists_actions_one_per_line_and_falls_back_when_too_long() {
        let admissible = strings(&["click[b01]", "search[<your query>]"]);
        let short = vec![("page".to_string(), "click[b01]".to_string())];
        let input = PromptInput {
            benchmark: Benchmark::Webshop,
            task: "i need a red mug",
            history: &short,
            observation: "Back to Search",
            admissible: &admissible,
        };
        let p = build(&input);
        assert!(p.contains("[\n'click[b01]',\n'search[<your query>]',\n]."));
        assert!(p.contains("Your task is to: i need a red mug.\nPrior to this step"));
        let long = vec![("x".repeat(WEBSHOP_MAX_CHARS), "click[b01]".to_string())];
        let p = build(&PromptInput {
            history: &long,
            ..input
        });
        assert!(!p.contains("Prior to this step"));
        assert!(p.contains("Your current observation is: Back to Search."));
    }

    #[test]
    fn task_statements() {
        let alf = "-= Welcome =-\n\nYou are in a room.\n\nYour task is to: put a mug in desk.";
        assert_eq!(
            task_statement(Benchmark::Alfworld, alf),
            "put a mug in desk."
        );
        let web = "WebShop [SEP] Instruction: [SEP] i need a red mug [SEP] Search";
        assert_eq!(task_statement(Benchmark::Webshop, web), "i need a red mug");
        assert_eq!(task_statement(Benchmark::Text, " no marker "), "no marker");
    }
}
